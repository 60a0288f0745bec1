package debug

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
)

// noKubeconfig says, when velero-debug's own flags resolve the cluster
// and nothing names one, what was tried: client-go would fall back to
// http://localhost:8080, which the user never configured. It is nil when
// a kubeconfig names a cluster, or when the process runs in a pod.
func (o *Options) noKubeconfig() error {
	if o.ConfigFlags == nil {
		return nil // the host CLI's factory resolves the cluster
	}
	raw, err := o.Getter.ToRawKubeConfigLoader().RawConfig()
	if err != nil || len(raw.Clusters) > 0 {
		return nil // an error of its own, or a cluster: ToRESTConfig tells
	}
	if os.Getenv("KUBERNETES_SERVICE_HOST") != "" && os.Getenv("KUBERNETES_SERVICE_PORT") != "" {
		return nil // in a pod: its service account
	}
	return errors.New("no kubeconfig: " + triedKubeconfigs(o.kubeconfigFlag()) +
		", and this is not a pod; give --kubeconfig, set KUBECONFIG, or run velero-debug in a pod with a service account")
}

// kubeconfigFlag is the value of --kubeconfig.
func (o *Options) kubeconfigFlag() string {
	if o.ConfigFlags == nil || o.ConfigFlags.KubeConfig == nil {
		return ""
	}
	return *o.ConfigFlags.KubeConfig
}

// triedKubeconfigs says which kubeconfig files client-go's loading rules
// looked for, and why none named a cluster.
func triedKubeconfigs(flag string) string {
	state := func(path string) string {
		st, err := os.Stat(path) //nolint:gosec // G703: the paths the user named for a kubeconfig, only stat-ed
		switch {
		case errors.Is(err, os.ErrNotExist):
			return "does not exist"
		case err != nil:
			return "cannot be read (" + err.Error() + ")"
		case st.IsDir():
			return "is a folder"
		}
		return "names no cluster"
	}
	if flag != "" {
		return fmt.Sprintf("--kubeconfig %s %s", flag, state(flag))
	}
	if env := os.Getenv(clientcmd.RecommendedConfigPathEnvVar); env != "" {
		var parts []string
		for _, p := range filepath.SplitList(env) {
			if p != "" {
				parts = append(parts, fmt.Sprintf("%s, which %s", p, state(p)))
			}
		}
		return "$KUBECONFIG names " + strings.Join(parts, "; ") + " (~/.kube/config is not read then)"
	}
	return fmt.Sprintf("$KUBECONFIG is unset and %s %s", clientcmd.RecommendedHomeFile, state(clientcmd.RecommendedHomeFile))
}
