// Package cluster runs a real, local Kubernetes control plane for tests:
// etcd, kube-apiserver and kwok (which plays the kubelet of fake nodes and
// serves their pods' logs from files), all on 127.0.0.1 with free ports,
// throw-away certificates and a private folder. Every process it starts is
// stopped by Stop, and by the kernel if the test binary dies first.
//
// The binaries come from hack/build-tools.sh at the versions pinned in
// hack/tools. There is no controller-manager and no scheduler: tests create
// Pods directly with spec.nodeName.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Options tune Start.
type Options struct {
	// Tools are the folders of the cluster binaries; empty means BuildTools.
	Tools Tools
	// Logf, if set, reports the steps of starting and stopping.
	Logf func(format string, args ...any)
}

// Cluster is a running local control plane.
type Cluster struct {
	// Dir is the cluster's private folder (0700): certificates, etcd data,
	// process logs, the admin kubeconfig and kwok's log files.
	Dir string
	// Kubeconfig is the path of an admin kubeconfig for this cluster.
	Kubeconfig string
	// Config is the admin client configuration.
	Config *rest.Config
	// Server is the API server's URL.
	Server string
	// KwokNodePort is the port kwok serves the fake kubelets' API on.
	KwokNodePort int
	// Tools are the folders the binaries came from.
	Tools Tools

	pki           *pki
	apiserverArgs []string
	adminHC       *http.Client // the admin's, for health checks
	restarts      int          // of kube-apiserver; under procsMu
	procsMu       sync.Mutex
	procs         []*process
	logf          func(string, ...any)
	stopOnce      sync.Once
	stopErr       error
}

// ports are the loopback ports of one cluster.
type ports struct{ etcdClient, etcdPeer, apiserver, kwok int }

// Start brings up etcd, kube-apiserver and kwok and returns once the API
// server is ready and kwok answers. On error everything started is stopped.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	tools := opts.Tools
	if tools == nil {
		var err error
		if tools, err = BuildTools(ctx, "cluster", "kwok"); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "velero-debug-cluster-")
	if err != nil {
		return nil, fmt.Errorf("creating cluster folder: %w", err)
	}
	c := &Cluster{Dir: dir, Tools: tools, logf: logf}
	if err := c.start(ctx); err != nil {
		return nil, errors.Join(err, c.Stop())
	}
	return c, nil
}

func (c *Cluster) start(ctx context.Context) error {
	p, err := freePorts()
	if err != nil {
		return err
	}
	if c.pki, err = newPKI(c.Dir); err != nil {
		return err
	}
	begin := time.Now()
	if err := c.startEtcd(ctx, p); err != nil {
		return err
	}
	c.logf("etcd ready on 127.0.0.1:%d in %s", p.etcdClient, time.Since(begin).Round(time.Millisecond))
	if err := c.startAPIServer(ctx, p); err != nil {
		return err
	}
	c.logf("kube-apiserver ready at %s in %s", c.Server, time.Since(begin).Round(time.Millisecond))
	if err := c.startKwok(ctx, p); err != nil {
		return err
	}
	c.logf("kwok ready on 127.0.0.1:%d in %s", p.kwok, time.Since(begin).Round(time.Millisecond))
	return nil
}

// Stop ends every process in reverse order and removes the cluster's
// folder. It is safe to call more than once.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		var errs []error
		c.procsMu.Lock()
		procs := c.procs
		c.procsMu.Unlock()
		for i := len(procs) - 1; i >= 0; i-- {
			errs = append(errs, procs[i].stop(10*time.Second))
		}
		if os.Getenv("VELERO_DEBUG_KEEP_CLUSTER") == "" {
			errs = append(errs, os.RemoveAll(c.Dir))
		} else {
			c.logf("kept cluster folder %s", c.Dir)
		}
		c.stopErr = errors.Join(errs...)
		c.logf("cluster stopped")
	})
	return c.stopErr
}

// StopKwok stops kwok, the fake kubelets: the API server can no longer
// reach a node, as when kubelets are down. Stop still ends the rest.
func (c *Cluster) StopKwok() error {
	c.procsMu.Lock()
	defer c.procsMu.Unlock()
	for _, p := range c.procs {
		if p.name == "kwok" {
			return p.stop(10 * time.Second)
		}
	}
	return errors.New("kwok is not running")
}

// run starts one server and remembers it for Stop.
func (c *Cluster) run(name, bin string, args, env []string) (*process, error) {
	p, err := startProcess(c.Dir, name, bin, args, env)
	if err != nil {
		return nil, err
	}
	c.procsMu.Lock()
	c.procs = append(c.procs, p)
	c.procsMu.Unlock()
	return p, nil
}

// waitFor polls check every 100ms until it succeeds, proc dies or ctx ends.
func waitFor(ctx context.Context, proc *process, what string, check func(context.Context) error) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if last = check(ctx); last == nil {
			return nil
		}
		if done, err := proc.exited(); done {
			return fmt.Errorf("%s exited (%w) before %s; its log ends with:\n%s", proc.name, err, what, proc.logTail())
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last: %w); %s log ends with:\n%s", what, ctx.Err(), last, proc.name, proc.logTail())
		case <-tick.C:
		}
	}
}

// writeKubeconfig writes the admin kubeconfig of the cluster.
func (c *Cluster) writeKubeconfig(admin keyPair) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["local"] = &clientcmdapi.Cluster{Server: c.Server, CertificateAuthorityData: c.pki.caPEM}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: admin.certPEM, ClientKeyData: admin.keyPEM}
	cfg.Contexts["local"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: "admin"}
	cfg.CurrentContext = "local"
	c.Kubeconfig = filepath.Join(c.Dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, c.Kubeconfig); err != nil {
		return fmt.Errorf("writing kubeconfig: %w", err)
	}
	if err := os.Chmod(c.Kubeconfig, 0o600); err != nil {
		return fmt.Errorf("restricting kubeconfig: %w", err)
	}
	rc, err := clientcmd.NewDefaultClientConfig(*cfg, nil).ClientConfig()
	if err != nil {
		return fmt.Errorf("client config: %w", err)
	}
	rc.QPS, rc.Burst = 500, 1000
	c.Config = rc
	return nil
}

// freePorts asks the kernel for four free loopback ports. The listeners are
// closed before the servers bind, a small window another process could race.
func freePorts() (ports, error) {
	var got []int
	var lc net.ListenConfig
	for range 4 {
		l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
		if err != nil {
			return ports{}, fmt.Errorf("finding a free port: %w", err)
		}
		defer func() { _ = l.Close() }()
		got = append(got, l.Addr().(*net.TCPAddr).Port)
	}
	return ports{etcdClient: got[0], etcdPeer: got[1], apiserver: got[2], kwok: got[3]}, nil
}

func loopback(scheme string, port int) string {
	return scheme + "://127.0.0.1:" + strconv.Itoa(port)
}
