#!/usr/bin/env bats
# make demo-archive (scripts/demo archive): the archive tier's lifecycle on the
# demo's pagila layout finishes in under two minutes and leaves no server
# running.

bats_require_minimum_version 1.5.0

@test "demo archive: status, move, both tiers, decommission, audit log; under two minutes, nothing left running" {
	root="$BATS_TEST_DIRNAME/../.."
	t0=$SECONDS
	run env PATH="$root/bin:$PATH" "$root/scripts/demo" archive
	echo "$output" | tail -n 20
	[ "$status" -eq 0 ]
	[ $((SECONDS - t0)) -lt 120 ]
	[[ $output == *"checked through public.payment: 2713 rows"* ]]
	[[ $output == *"backup read back: MANIFEST checksums match, 3124 rows"* ]]
	[[ $output == *"nothing left running"* ]]
	[[ $output != *production-archive-secret* ]]
	sb=$(sed -n 's/^== 1\. 2 throwaway PostgreSQL 15 clusters in //p' <<<"$output")
	[ -n "$sb" ]
	[ ! -e "$sb" ]
	run pgrep -f -- "$sb"
	[ "$status" -eq 1 ]
}
