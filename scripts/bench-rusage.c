/* bench-rusage: an LD_PRELOAD library for scripts/bench. At the exit of every
 * process of a contender's tree it appends one line to $BENCH_RUSAGE_LOG:
 *   LABEL<TAB>PID<TAB>USER_SECONDS<TAB>SYSTEM_SECONDS<TAB>MAX_RSS_KB
 * from getrusage(RUSAGE_SELF), so the benchmark knows the CPU and the peak
 * resident set of each tool process (copy-table, pg_dump, pgcopydb, ...) however
 * it was started (PATH, absolute path, fork). LABEL is the program's name; for
 * an interpreter (bash, sh, perl) running a script it is "bash:SCRIPT".
 * Processes that end by _exit(2) or a signal are not recorded.
 * Built by scripts/bench: gcc -shared -fPIC -O2 -o bench-rusage.so bench-rusage.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* The label: argv[0]'s base name, or "interp:script" for an interpreter. */
static void label(char *out, size_t n)
{
	char buf[1024];
	ssize_t len = 0;
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		len = read(fd, buf, sizeof buf - 1);
		close(fd);
	}
	if (len <= 0) {
		snprintf(out, n, "%.200s", program_invocation_short_name);
		return;
	}
	buf[len] = '\0';
	const char *a0 = base(buf);
	size_t l0 = strlen(buf);
	const char *a1 = (size_t)len > l0 + 1 ? buf + l0 + 1 : NULL;
	if (a1 && *a1 && *a1 != '-' &&
	    (!strcmp(a0, "bash") || !strcmp(a0, "sh") || !strcmp(a0, "dash") ||
	     !strcmp(a0, "perl")))
		snprintf(out, n, "%.100s:%.100s", a0, base(a1));
	else
		snprintf(out, n, "%.200s", a0);
	for (char *c = out; *c; c++)
		if (*c == '\t' || *c == '\n' || *c == ' ')
			*c = '_';
}

__attribute__((destructor)) static void bench_rusage_report(void)
{
	const char *path = getenv("BENCH_RUSAGE_LOG");
	if (!path || !*path)
		return;
	int saved = errno;
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		char name[256], line[512];
		label(name, sizeof name);
		int len = snprintf(line, sizeof line, "%s\t%d\t%ld.%06ld\t%ld.%06ld\t%ld\n",
				   name, (int)getpid(), (long)ru.ru_utime.tv_sec,
				   (long)ru.ru_utime.tv_usec, (long)ru.ru_stime.tv_sec,
				   (long)ru.ru_stime.tv_usec, ru.ru_maxrss);
		/* One write(2) with O_APPEND: lines of concurrent processes do not mix. */
		int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0 && len > 0) {
			ssize_t w = write(fd, line, (size_t)len);
			(void)w;
		}
		if (fd >= 0)
			close(fd);
	}
	errno = saved;
}
