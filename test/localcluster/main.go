// Command localcluster starts the project's local test cluster (etcd,
// kube-apiserver and kwok on 127.0.0.1) with a realistic Velero installation,
// and, with --velero-server, a real Velero server and S3 server beside it
// that back up and restore; then it either prints how to point velero-debug
// and kubectl at it and waits for Ctrl-C, or, with --run, runs a command
// against it (KUBECONFIG set), stops everything and exits with the
// command's status. Run it through hack/local-cluster.sh or hack/try.sh,
// which build the binaries first.
//
// Usage:
//
//	localcluster [--namespace velero] [--nodes 3] [--backups 0] [--pvbs-per-backup 2] [--log-bytes 65536]
//	             [--velero-server | --velero] [--run COMMAND [ARG...]]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/velero-debug/velero-debug/test/cluster"
	"github.com/velero-debug/velero-debug/test/fixture"
	"github.com/velero-debug/velero-debug/test/veleroserver"
)

func main() {
	code, err := run(os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "localcluster:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

// options are localcluster's flags.
type options struct {
	fixture      fixture.Options
	veleroServer bool
	// command runs against the cluster when set (--run).
	command []string
}

func parse(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("localcluster", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.fixture.Namespace, "namespace", "velero", "Velero's namespace")
	fs.IntVar(&o.fixture.Nodes, "nodes", 3, "kwok nodes, each with a node-agent pod")
	fs.IntVar(&o.fixture.Backups, "backups", 0, "extra Completed backups, with pod volume backups")
	fs.IntVar(&o.fixture.PVBsPerBackup, "pvbs-per-backup", 2, "pod volume backups of each extra backup")
	fs.IntVar(&o.fixture.LogBytes, "log-bytes", 64<<10, "size of the server's and each node-agent's log")
	fs.BoolVar(&o.veleroServer, "velero-server", false, "also run a real Velero server (v1.18.3) and an S3 server, and have Velero back up and restore")
	fs.BoolVar(&o.veleroServer, "velero", false, "the same as --velero-server")
	runFlag := fs.Bool("run", false, "run the command that follows the flags against the cluster, then stop it and exit with the command's status")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if *runFlag {
		if fs.NArg() == 0 {
			return o, errors.New("--run needs a command")
		}
		o.command = fs.Args()
	} else if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q (a command to run goes after --run)", fs.Args())
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) (int, error) {
	// A closed stdout or stderr (localcluster | tee, then Ctrl-C) makes
	// writes fail instead of killing the process: it still stops the
	// cluster and removes its folder.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	o, err := parse(args, stderr)
	if err != nil {
		return 0, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logf := func(f string, a ...any) { fmt.Fprintf(stderr, "localcluster: "+f+"\n", a...) }
	start := time.Now()
	c, err := cluster.Start(ctx, cluster.Options{Logf: logf})
	if err != nil {
		return 0, err
	}
	defer func() {
		logf("stopping")
		if err := c.Stop(); err != nil {
			logf("stopping: %v", err)
		}
	}()
	var tools cluster.Tools
	if o.veleroServer {
		if tools, err = startS3(ctx, c, &o.fixture, logf); err != nil {
			return 0, err
		}
	}
	v, err := fixture.Install(ctx, c, o.fixture)
	if err != nil {
		return 0, err
	}
	if o.veleroServer {
		server, err := veleroserver.Start(ctx, c, tools, v.Namespace)
		if err != nil {
			return 0, fmt.Errorf("starting the Velero server: %w", err)
		}
		defer func() { _ = server.Stop() }()
		if err := exercise(ctx, c, server, v, logf); err != nil {
			return 0, err
		}
	}
	logf("ready in %s", time.Since(start).Round(time.Millisecond))
	if len(o.command) > 0 {
		return runCommand(o.command, c.Kubeconfig, v.Namespace, stdout, stderr, logf)
	}
	server, flags := "a real Velero server and an S3 server answer", ""
	if !o.veleroServer {
		server = "no Velero server runs (its objects and pods are played: add --velero for a real one);\nso that velero-debug does not wait for one, add --server-timeout 0"
		flags = " --server-timeout 0"
	}
	fmt.Fprintf(stdout, `A local Kubernetes cluster is running with Velero in namespace %q (%d nodes);
%s.

Point velero-debug (or kubectl) at it from another terminal:

  export KUBECONFIG=%s
  velero-debug --namespace %s%s
  %s get pods -n %s

Press Ctrl-C here to stop it; its folder %s is removed.
`, v.Namespace, len(v.Nodes), server, c.Kubeconfig, v.Namespace, flags, c.Tools.Path("cluster", "kubectl"), v.Namespace, c.Dir)
	<-ctx.Done()
	return 0, nil
}

// startS3 starts the S3 server the fixture's storage location points at,
// for the Velero server, which starts once the fixture is installed; it
// returns the server's tools.
func startS3(ctx context.Context, c *cluster.Cluster, opts *fixture.Options, logf func(string, ...any)) (cluster.Tools, error) {
	tools, err := veleroserver.Tools(ctx)
	if err != nil {
		return nil, err
	}
	s3, err := veleroserver.StartS3(ctx, c, tools, "s3")
	if err != nil {
		return nil, fmt.Errorf("starting the S3 server: %w", err)
	}
	opts.Storage = &fixture.Storage{URL: s3.URL, Bucket: veleroserver.Bucket, Region: veleroserver.Region}
	logf("S3 server ready at %s", s3.URL)
	return tools, nil
}

// exercise waits for the Velero server's storage location and has it back
// up and restore.
func exercise(ctx context.Context, c *cluster.Cluster, s *veleroserver.Server, v *fixture.Velero, logf func(string, ...any)) error {
	dyn, err := c.Dynamic()
	if err != nil {
		return err
	}
	if _, err := s.WaitPhase(ctx, dyn, "backupstoragelocations", "default", time.Minute, "Available"); err != nil {
		return fmt.Errorf("%w\nthe Velero server's log ends with:\n%s", err, s.LogTail())
	}
	logf("Velero server v1.18.3 ready; backing up and restoring")
	backups, restores, err := s.Exercise(ctx, dyn, v.AppNamespace, v.Nodes[0])
	if err != nil {
		return fmt.Errorf("%w\nthe Velero server's log ends with:\n%s", err, s.LogTail())
	}
	logf("Velero made backups %s and restore %s", strings.Join(backups, ", "), strings.Join(restores, ", "))
	return nil
}

// runCommand runs command against the cluster (KUBECONFIG and
// VELERO_NAMESPACE set) in the current folder, and returns its exit
// status (130 when a signal ended it); Ctrl-C reaches it too, and the
// cluster stops after it.
func runCommand(command []string, kubeconfig, namespace string, stdout, stderr io.Writer, logf func(string, ...any)) (int, error) {
	logf("running %s", strings.Join(command, " "))
	cmd := exec.Command(command[0], command[1:]...) //nolint:gosec,noctx // the user's own command line; Ctrl-C ends it
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "VELERO_NAMESPACE="+namespace)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() < 0:
		return 130, nil
	case errors.As(err, &exit):
		return exit.ExitCode(), nil
	case err != nil:
		return 0, fmt.Errorf("running %s: %w", command[0], err)
	}
	return 0, nil
}
