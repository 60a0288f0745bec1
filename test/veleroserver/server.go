// Package veleroserver runs a real Velero server (v1.18.3, with the AWS
// object-store plugin) outside the local test cluster, against a real S3
// server (versitygw) on 127.0.0.1, for the tests that need Velero's own
// answers: server status, backup logs and results through DownloadRequests.
package veleroserver

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/velero-debug/velero-debug/test/cluster"
)

// Credentials of the local S3 server; fake, and only ever on loopback.
const (
	accessKey = "VDBGLOCALS3ACCESSKEY"
	secretKey = "vdbg-local-s3-secret-key-not-a-real-one"
	// Bucket is the bucket the storage location uses.
	Bucket = "velero"
	// Region is the region versitygw enforces.
	Region = "us-east-1"
)

// S3 is a running versitygw.
type S3 struct {
	// URL is the server's address, for a storage location's s3Url.
	URL  string
	proc *cluster.Process
}

// Server is a running Velero server.
type Server struct {
	Namespace string
	// Velero is the velero binary, also the CLI.
	Velero string
	proc   *cluster.Process
}

// Tools builds (or finds) the binaries.
func Tools(ctx context.Context) (cluster.Tools, error) {
	return cluster.BuildTools(ctx, "veleroserver", "veleroaws", "s3")
}

// StartS3 runs versitygw with a posix back end in the cluster's folder and
// creates the bucket.
func StartS3(ctx context.Context, c *cluster.Cluster, tools cluster.Tools, name string) (*S3, error) {
	root := filepath.Join(c.Dir, name)
	if err := os.MkdirAll(filepath.Join(root, Bucket), 0o700); err != nil {
		return nil, fmt.Errorf("creating the bucket folder: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	p, err := c.StartProcess(name, tools.Path("s3", "versitygw"),
		[]string{"--port", addr, "--access", accessKey, "--secret", secretKey, "--region", Region, "posix", root}, nil)
	if err != nil {
		return nil, err
	}
	s := &S3{URL: "http://" + addr, proc: p}
	if err := waitHTTP(ctx, p, s.URL); err != nil {
		return nil, err
	}
	return s, nil
}

// Stop stops the S3 server.
func (s *S3) Stop() error { return s.proc.Stop() }

// Start runs `velero server` for namespace, whose CRDs and default
// BackupStorageLocation (pointing at s3) must exist.
func Start(ctx context.Context, c *cluster.Cluster, tools cluster.Tools, namespace string) (*Server, error) {
	if err := checkMetricsPort(); err != nil {
		return nil, err
	}
	dir := filepath.Join(c.Dir, "velero-server-"+namespace)
	plugins := filepath.Join(dir, "plugins")
	tmp := filepath.Join(dir, "tmp")
	for _, d := range []string{plugins, tmp} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("creating %s: %w", d, err)
		}
	}
	// The plugin folder must hold the plugin binaries alone.
	if err := os.Symlink(tools.Path("veleroaws", "velero-plugin-for-aws"), filepath.Join(plugins, "velero-plugin-for-aws")); err != nil && !os.IsExist(err) {
		return nil, fmt.Errorf("linking the AWS plugin: %w", err)
	}
	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(creds, []byte(fmt.Sprintf("[default]\naws_access_key_id=%s\naws_secret_access_key=%s\n", accessKey, secretKey)), 0o600); err != nil {
		return nil, fmt.Errorf("writing credentials: %w", err)
	}
	metrics, err := freePort()
	if err != nil {
		return nil, err
	}
	profiler, err := freePort()
	if err != nil {
		return nil, err
	}
	velero := tools.Path("veleroserver", "velero")
	args := []string{"server", "--kubeconfig", c.Kubeconfig, "--namespace", namespace, "--plugin-dir", plugins,
		"--metrics-address", "127.0.0.1:" + strconv.Itoa(metrics), "--profiler-address", "127.0.0.1:" + strconv.Itoa(profiler),
		"--store-validation-frequency", "5s", "--log-level", "debug"}
	p, err := c.StartProcess("velero-server-"+namespace, velero, args,
		[]string{"AWS_SHARED_CREDENTIALS_FILE=" + creds, "TMPDIR=" + tmp, "HOME=" + dir})
	if err != nil {
		return nil, err
	}
	s := &Server{Namespace: namespace, Velero: velero, proc: p}
	if err := waitHTTP(ctx, p, "http://127.0.0.1:"+strconv.Itoa(metrics)+"/metrics"); err != nil {
		return nil, err
	}
	return s, nil
}

// Stop stops the Velero server.
func (s *Server) Stop() error { return s.proc.Stop() }

// LogTail is the end of the server's log.
func (s *Server) LogTail() string { return s.proc.LogTail() }

func waitHTTP(ctx context.Context, p *cluster.Process, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
			return nil
		}
		if done, err := p.Exited(); done {
			return fmt.Errorf("exited (%w) before answering at %s:\n%s", err, url, p.LogTail())
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no answer at %s: %w\n%s", url, ctx.Err(), p.LogTail())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// FixedPort is the port `velero server` v1.18 listens on whatever it is
// told: controller-runtime's metrics server, on every address. The server
// exits when it is taken.
const FixedPort = 8080

// checkMetricsPort fails, saying so, when FixedPort is taken.
func checkMetricsPort() error { return checkPort(FixedPort) }

// checkPort fails, saying so, when port is taken on any address, as
// the Velero server's metrics server would find it.
func checkPort(port int) error {
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp", ":"+strconv.Itoa(port))
	if err != nil {
		return fmt.Errorf("port %d is taken (%w): the Velero server cannot start, its controller-runtime metrics server listens there whatever it is told; stop what listens on %d (ss -ltnp 'sport = :%d' names it) and try again",
			port, err, port, port)
	}
	return l.Close()
}

func freePort() (int, error) {
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}
