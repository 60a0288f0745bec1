package cluster

import (
	"crypto/x509/pkix"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// UserKubeconfig writes a kubeconfig for a user of the cluster, with a
// client certificate for name in groups, and returns its path. The user can
// do nothing until RBAC grants it something: tests use it to run as a user
// whose rights they choose.
func (c *Cluster) UserKubeconfig(name string, groups ...string) (string, error) {
	kp, err := c.pki.issue("user-"+name, pkix.Name{CommonName: name, Organization: groups}, nil)
	if err != nil {
		return "", err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["local"] = &clientcmdapi.Cluster{Server: c.Server, CertificateAuthorityData: c.pki.caPEM}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{ClientCertificateData: kp.certPEM, ClientKeyData: kp.keyPEM}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: "local", AuthInfo: name}
	cfg.CurrentContext = name
	path := filepath.Join(c.Dir, "kubeconfig-"+name)
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return "", fmt.Errorf("writing kubeconfig of %s: %w", name, err)
	}
	return path, os.Chmod(path, 0o600)
}
