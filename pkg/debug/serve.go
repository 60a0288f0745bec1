package debug

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/velero-debug/velero-debug/internal/serve"
)

const serveLongHelp = `Serve a bundle as a read-only Kubernetes API on 127.0.0.1, so that kubectl
and the Velero CLI can read a user's bundle as they read a cluster: kubectl
get (the columns a real API server prints, label and field selectors, -A,
-o yaml/json, -w), kubectl describe, kubectl logs (--previous, --tail,
--limit-bytes, --since, --timestamps, from the times the lines give);
velero backup get/describe/logs, restore describe/logs, version, plugin get
(their DownloadRequests and ServerStatusRequests answered from the bundle).

It writes a kubeconfig (mode 0600; context velero-debug-bundle, namespace the
bundle's Velero namespace) once the server answers, prints the lines that
point kubectl at it, and serves until Ctrl-C; then it removes the kubeconfig
and its copies of the bundle's logs: nothing is left behind. Writes are
refused. Ages are as of the bundle's collection. docs/serve.md says what
works and what does not.

The bundle is read as untrusted input, as inspect reads it.`

// ServeOptions are the settings of `velero-debug serve`.
type ServeOptions struct {
	genericiooptions.IOStreams
	// Input is the bundle to serve.
	Input string
	// Address is where to listen: a loopback address and a port, 0 for
	// any.
	Address string
	// Kubeconfig is where to write the kubeconfig; empty for a file of
	// the server's private folder.
	Kubeconfig string
}

func newServeCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &ServeOptions{IOStreams: streams, Address: "127.0.0.1:0"}
	return bundleCommand(bundleCommandSpec{
		use: "serve BUNDLE", short: "Serve a bundle as a read-only Kubernetes API for kubectl and the Velero CLI", long: serveLongHelp,
		example: "  velero-debug serve bundle.tar.gz\n  velero-debug serve bundle.tar.gz --write-kubeconfig /tmp/bundle.kubeconfig &\n  KUBECONFIG=/tmp/bundle.kubeconfig kubectl get backups",
	}, &o.Input, o)
}

// BindFlags adds the command's flags to fs.
func (o *ServeOptions) BindFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Address, "address", o.Address, "where to listen: a loopback address and port (0 for any free port)")
	fs.StringVar(&o.Kubeconfig, "write-kubeconfig", o.Kubeconfig, "write the kubeconfig here, once the server answers (removed when it stops)")
}

// Validate checks that the bundle is a file and the address a loopback
// one.
func (o *ServeOptions) Validate() error {
	host, _, err := net.SplitHostPort(o.Address)
	if err != nil {
		return fmt.Errorf("--address %q: %w", o.Address, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--address %q: the bundle is served on loopback only (127.0.0.1, ::1 or localhost)", o.Address)
	}
	return checkBundleInput(o.Input)
}

// Run loads the bundle and serves it until ctx ends.
func (o *ServeOptions) Run(ctx context.Context) error {
	b, err := openBundle(ctx, o.Input)
	if err != nil {
		return err
	}
	defer func() { _ = b.Close() }()
	dir, err := os.MkdirTemp("", "velero-debug-serve-")
	if err != nil {
		return fmt.Errorf("making the server's private folder: %w", err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	store, err := serve.Load(ctx, b, dir)
	if err != nil {
		return fmt.Errorf("reading %s: %w", o.Input, err)
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", o.Address)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", o.Address, err)
	}
	if tcp, ok := l.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		_ = l.Close()
		return fmt.Errorf("--address %q resolves to %s, not a loopback address: the bundle is served on loopback only", o.Address, l.Addr())
	}
	srv := &http.Server{Handler: serve.Handler(store), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	url := "http://" + l.Addr().String()
	kubeconfig := o.Kubeconfig
	if kubeconfig == "" {
		kubeconfig = filepath.Join(dir, "kubeconfig")
	}
	if err := waitServing(ctx, url); err != nil {
		_ = srv.Close()
		return err
	}
	if err := writeKubeconfig(kubeconfig, url, store.Namespace()); err != nil {
		_ = srv.Close()
		return err
	}
	defer func() { _ = os.Remove(kubeconfig) }()
	fmt.Fprintf(o.ErrOut, `Serving %s (%s) at %s, read-only.

Point kubectl at it:

  export KUBECONFIG=%s
  export VELERO_NAMESPACE=%s
  kubectl get backups,restores
  kubectl get pods
  kubectl logs <pod> --previous
  velero backup describe <backup> --details

Press Ctrl-C to stop; the kubeconfig and the server's copies are removed.
`, o.Input, store, url, shellQuote(kubeconfig), store.Namespace())
	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	// Watches never end by themselves: close what Shutdown does not.
	shutdown, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		_ = srv.Close()
	}
	fmt.Fprintln(o.ErrOut, "velero-debug: stopped serving; removed", kubeconfig)
	return nil
}

// shellQuote quotes s for a line to paste into a POSIX shell, when it
// needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// waitServing waits until the server at url answers /version.
func waitServing(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/version", nil)
		if err != nil {
			return err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the server at %s does not answer: %w", url, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// writeKubeconfig writes, mode 0600, a kubeconfig of the bundle's server
// at url: context velero-debug-bundle, namespace ns.
func writeKubeconfig(path, url, ns string) error {
	const name = "velero-debug-bundle"
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = &clientcmdapi.Cluster{Server: url}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name, Namespace: ns}
	cfg.CurrentContext = name
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return err
	}
	// Whole or not at all: a script that waits for the file never reads
	// half of it. The file is written beside its place, then linked
	// there, which fails when a file is there already.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".velero-debug-kubeconfig-*")
	if err != nil {
		return fmt.Errorf("writing the kubeconfig: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("writing the kubeconfig: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing the kubeconfig: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing the kubeconfig: %w (an existing file is never replaced)", err)
	}
	return nil
}
