package script

import (
	"context"
	"testing"
)

// BenchmarkDefaultPlan evaluates the default plan with fake lookups: the
// cost of making the plan, which every run pays before collecting.
func BenchmarkDefaultPlan(b *testing.B) {
	ctx := context.Background()
	scripts := []Source{Default()}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Eval(ctx, scripts, testOptions(newFakeLookups())); err != nil {
			b.Fatal(err)
		}
	}
}
