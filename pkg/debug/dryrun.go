package debug

import (
	"context"
	"fmt"
	"strings"

	"github.com/velero-debug/velero-debug/internal/access"
	"github.com/velero-debug/velero-debug/internal/collect"
	"github.com/velero-debug/velero-debug/internal/discover"
	"github.com/velero-debug/velero-debug/internal/plan"
)

// dryRun prints the plan, each step with where it would go in the bundle
// and the requests it needs that the user may not make. Nothing is
// collected, and no file is written.
func (o *Options) dryRun(ctx context.Context, t *target, p *plan.Plan) error {
	out := o.Out
	fmt.Fprintf(out, "Dry run: the plan of %s, against %s; nothing is collected.\n\n", strings.Join(p.Scripts, ", "), t.cluster.Server)
	checker := &access.Checker{Client: t.clients.Kube.AuthorizationV1(), Timeout: o.RequestTimeout}
	res := discover.New(t.clients.Discovery)
	denied := 0
	for i, s := range p.Steps {
		fmt.Fprintf(out, "%3d. %s", i+1, s)
		if s.Script != "" {
			fmt.Fprintf(out, "  (%s:%d)", s.Script, s.Line)
		}
		fmt.Fprintln(out)
		needs, err := collect.Needs(ctx, s, res)
		if err != nil {
			fmt.Fprintf(out, "       ✗ will fail: %v\n", err)
			denied++
			continue
		}
		stepDenied := false
		for _, n := range needs {
			a := checker.Check(ctx, n)
			switch {
			case a.Err != nil:
				fmt.Fprintf(out, "       ? %v\n", a.Err)
			case !a.Allowed:
				fmt.Fprintf(out, "       ✗ forbidden: you may not %s%s\n", n, reason(a.Reason))
				stepDenied = true
			}
		}
		if stepDenied {
			denied++
		}
	}
	for _, f := range p.Failures {
		fmt.Fprintf(out, "  ✗ a lookup failed, recorded as %s: %s\n", f.Path, f.Error)
	}
	fmt.Fprintf(out, "\n%d steps; %d need access you do not have, or will fail.\n", len(p.Steps), denied)
	fmt.Fprintf(out, "The bundle would be written to %s", o.Output)
	if err := checkOutput(o.Output, o.Force); err != nil {
		fmt.Fprintf(out, ", but: %v", err)
	}
	fmt.Fprintln(out)
	return ctx.Err()
}

func reason(r string) string {
	if r == "" {
		return ""
	}
	return " (" + r + ")"
}
