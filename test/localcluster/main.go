// Command localcluster starts the project's local test cluster (etcd,
// kube-apiserver and kwok on 127.0.0.1) with a realistic Velero installation,
// prints how to point velero-debug and kubectl at it, and stops everything
// cleanly on Ctrl-C. Run it through hack/local-cluster.sh, which builds the
// cluster's binaries first.
//
// Usage:
//
//	localcluster [--namespace velero] [--nodes 3] [--backups 0] [--pvbs-per-backup 2] [--log-bytes 65536]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/velero-debug/velero-debug/test/cluster"
	"github.com/velero-debug/velero-debug/test/fixture"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "localcluster:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("localcluster", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts fixture.Options
	fs.StringVar(&opts.Namespace, "namespace", "velero", "Velero's namespace")
	fs.IntVar(&opts.Nodes, "nodes", 3, "kwok nodes, each with a node-agent pod")
	fs.IntVar(&opts.Backups, "backups", 0, "extra Completed backups, with pod volume backups")
	fs.IntVar(&opts.PVBsPerBackup, "pvbs-per-backup", 2, "pod volume backups of each extra backup")
	fs.IntVar(&opts.LogBytes, "log-bytes", 64<<10, "size of the server's and each node-agent's log")
	if err := fs.Parse(args); err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logf := func(f string, a ...any) { fmt.Fprintf(stderr, "localcluster: "+f+"\n", a...) }
	start := time.Now()
	c, err := cluster.Start(ctx, cluster.Options{Logf: logf})
	if err != nil {
		return err
	}
	defer func() {
		if err := c.Stop(); err != nil {
			logf("stopping: %v", err)
		}
	}()
	v, err := fixture.Install(ctx, c, opts)
	if err != nil {
		return err
	}
	logf("ready in %s", time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, `A local Kubernetes cluster is running with Velero in namespace %q (%d nodes).

Point velero-debug (or kubectl) at it from another terminal:

  export KUBECONFIG=%s
  velero-debug --namespace %s
  %s get pods -n %s

Press Ctrl-C here to stop it; its folder %s is removed.
`, v.Namespace, len(v.Nodes), c.Kubeconfig, v.Namespace, c.Tools.Path("cluster", "kubectl"), v.Namespace, c.Dir)
	<-ctx.Done()
	logf("stopping")
	return nil
}
