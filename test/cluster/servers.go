package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// startupTimeout bounds each server's start; a warm start takes seconds.
const startupTimeout = 90 * time.Second

func (c *Cluster) startEtcd(ctx context.Context, p ports) error {
	client, peer := loopback("http", p.etcdClient), loopback("http", p.etcdPeer)
	args := []string{
		"--name=default",
		"--data-dir=" + filepath.Join(c.Dir, "etcd"),
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=default=" + peer,
		"--unsafe-no-fsync",
		"--log-level=warn",
	}
	proc, err := c.run("etcd", c.Tools.Path("cluster", "etcd"), args, nil)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	return waitFor(ctx, proc, "etcd /health", func(ctx context.Context) error {
		body, err := httpGet(ctx, http.DefaultClient, client+"/health")
		if err == nil && !strings.Contains(body, `"health":"true"`) {
			err = fmt.Errorf("unhealthy: %s", body)
		}
		return err
	})
}

func (c *Cluster) startAPIServer(ctx context.Context, p ports) error {
	serving, err := c.pki.issue("apiserver", pkix.Name{CommonName: "kube-apiserver"},
		[]string{"127.0.0.1", "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"})
	if err != nil {
		return err
	}
	kubelet, err := c.pki.issue("apiserver-kubelet-client", pkix.Name{CommonName: "kube-apiserver-kubelet-client", Organization: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	admin, err := c.pki.issue("admin", pkix.Name{CommonName: "admin", Organization: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	sa, err := c.pki.serviceAccountKey()
	if err != nil {
		return err
	}
	args := []string{
		"--etcd-servers=" + loopback("http", p.etcdClient),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(p.apiserver),
		"--cert-dir=" + filepath.Join(c.Dir, "apiserver-certs"),
		"--tls-cert-file=" + serving.Cert,
		"--tls-private-key-file=" + serving.Key,
		"--client-ca-file=" + c.pki.caFile(),
		"--service-account-key-file=" + sa.Cert,
		"--service-account-signing-key-file=" + sa.Key,
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-cluster-ip-range=10.96.0.0/16",
		"--authorization-mode=Node,RBAC",
		// No controller-manager creates the default ServiceAccount.
		"--disable-admission-plugins=ServiceAccount",
		// No endpoints to reconcile; the default logs errors every 10s.
		"--endpoint-reconciler-type=none",
		"--kubelet-preferred-address-types=InternalIP",
		"--kubelet-client-certificate=" + kubelet.Cert,
		"--kubelet-client-key=" + kubelet.Key,
		"--allow-privileged=true",
		"--profiling=false",
	}
	audit, err := c.auditArgs()
	if err != nil {
		return err
	}
	c.apiserverArgs = append(args, audit...)
	c.Server = loopback("https", p.apiserver)
	if err := c.writeKubeconfig(admin); err != nil {
		return err
	}
	if c.adminHC, err = c.adminHTTPClient(admin); err != nil {
		return err
	}
	return c.launchAPIServer(ctx, "kube-apiserver")
}

// launchAPIServer starts kube-apiserver with the cluster's arguments, its
// log in <name>.log, and waits until it is ready.
func (c *Cluster) launchAPIServer(ctx context.Context, name string) error {
	proc, err := c.run(name, c.Tools.Path("cluster", "kube-apiserver"), c.apiserverArgs, nil)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	return waitFor(ctx, proc, name+" /readyz", func(ctx context.Context) error {
		_, err := httpGet(ctx, c.adminHC, c.Server+"/readyz")
		return err
	})
}

// StopAPIServer stops kube-apiserver as a kubelet stops a static pod:
// SIGTERM, its graceful shutdown (it stops listening at once), and SIGKILL
// after grace (a kubelet's is the pod's terminationGracePeriodSeconds, 30s
// by default; kwok's watches hold the shutdown for its full 60s timeout).
func (c *Cluster) StopAPIServer(grace time.Duration) error {
	c.procsMu.Lock()
	var running *process
	for _, p := range c.procs {
		if done, _ := p.exited(); !done && strings.HasPrefix(p.name, "kube-apiserver") {
			running = p
		}
	}
	c.procsMu.Unlock()
	if running == nil {
		return errors.New("kube-apiserver is not running")
	}
	return running.stop(grace)
}

// RestartAPIServer stops kube-apiserver (see StopAPIServer), starts it
// again on the same address and returns once it is ready, with how long
// the restart took. Stop still ends everything.
func (c *Cluster) RestartAPIServer(ctx context.Context, grace time.Duration) (time.Duration, error) {
	begin := time.Now()
	if err := c.StopAPIServer(grace); err != nil {
		return 0, err
	}
	c.procsMu.Lock()
	c.restarts++
	name := fmt.Sprintf("kube-apiserver-%d", c.restarts)
	c.procsMu.Unlock()
	err := c.launchAPIServer(ctx, name)
	return time.Since(begin), err
}

// adminHTTPClient is a plain HTTP client with the admin's certificate, for
// health checks before client-go is of use.
func (c *Cluster) adminHTTPClient(admin keyPair) (*http.Client, error) {
	cert, err := tls.X509KeyPair(admin.certPEM, admin.keyPEM)
	if err != nil {
		return nil, fmt.Errorf("loading admin certificate: %w", err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(c.pki.caCert)
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs: roots, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
		}},
	}, nil
}

func (c *Cluster) startKwok(ctx context.Context, p ports) error {
	if err := c.ApplyFiles(ctx, c.Tools.Path("kwok", "crds")); err != nil {
		return fmt.Errorf("installing kwok CRDs: %w", err)
	}
	config, err := c.writeKwokConfig()
	if err != nil {
		return err
	}
	workdir := filepath.Join(c.Dir, "kwok")
	if err := os.MkdirAll(workdir, 0o700); err != nil {
		return fmt.Errorf("creating kwok folder: %w", err)
	}
	args := []string{
		"--kubeconfig=" + c.Kubeconfig,
		"--config=" + config,
		"--manage-all-nodes=true",
		"--node-ip=127.0.0.1",
		"--node-port=" + strconv.Itoa(p.kwok),
		"--server-address=127.0.0.1:" + strconv.Itoa(p.kwok),
		"--cidr=10.244.0.0/16",
	}
	proc, err := c.run("kwok", c.Tools.Path("kwok", "kwok"), args, []string{"KWOK_WORKDIR=" + workdir})
	if err != nil {
		return err
	}
	c.KwokNodePort = p.kwok
	ctx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	return waitFor(ctx, proc, "kwok /healthz", func(ctx context.Context) error {
		_, err := httpGet(ctx, http.DefaultClient, loopback("http", p.kwok)+"/healthz")
		return err
	})
}

// kwokOptions is kwok's configuration: kwok applies no defaults to a
// configuration file, so every knob the tests rely on is set here.
const kwokOptions = `apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  enableCRDs: [Logs, ClusterLogs]
  enableDebuggingHandlers: true
  nodeLeaseDurationSeconds: 40
  nodeLeaseParallelism: 16
  nodePlayStageParallelism: 16
  podPlayStageParallelism: 16
  podsOnNodeSyncParallelism: 16
`

// writeKwokConfig writes kwok's options followed by the Stage objects that
// hack/build-tools.sh copied from kwok's module.
func (c *Cluster) writeKwokConfig() (string, error) {
	stages, err := filepath.Glob(filepath.Join(c.Tools.Path("kwok", "stages"), "*.yaml"))
	if err != nil || len(stages) == 0 {
		return "", fmt.Errorf("no kwok stages in %s (run hack/build-tools.sh kwok)", c.Tools.Path("kwok", "stages"))
	}
	docs := []string{kwokOptions}
	for _, s := range stages {
		data, err := os.ReadFile(s)
		if err != nil {
			return "", fmt.Errorf("reading kwok stage: %w", err)
		}
		docs = append(docs, string(data))
	}
	path := filepath.Join(c.Dir, "kwok.yaml")
	return path, writePrivate(path, []byte(strings.Join(docs, "\n---\n")))
}

// httpGet returns the body of a successful GET.
func httpGet(ctx context.Context, client *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	return string(body), nil
}
