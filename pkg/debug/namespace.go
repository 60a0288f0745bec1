package debug

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// What chose Velero's namespace, as the errors about it say.
const (
	fromFlag         = "given with --namespace"
	fromClientConfig = "set by the Velero CLI's client config"
	fromEnv          = "set by $VELERO_NAMESPACE"
	fromDefault      = "Velero's default"
)

// veleroClientConfig is the Velero CLI's configuration file, which
// `velero client config set namespace=...` writes; the Velero CLI reads it
// from $HOME.
func veleroClientConfig() string {
	return filepath.Join(os.Getenv("HOME"), ".config", "velero", "config.json")
}

// defaultNamespace is Velero's namespace as the Velero CLI chooses it when
// no --namespace is given: its client config's namespace, else
// $VELERO_NAMESPACE, else "velero"; with what chose it, and the error of a
// client config that cannot be read.
func defaultNamespace() (ns, from string, err error) {
	ns, from = "velero", fromDefault
	if env := os.Getenv("VELERO_NAMESPACE"); env != "" {
		ns, from = env, fromEnv
	}
	path := veleroClientConfig()
	data, rerr := os.ReadFile(path) //nolint:gosec // G304: the Velero CLI's own file
	if os.IsNotExist(rerr) {
		return ns, from, nil
	}
	var cfg struct {
		Namespace any `json:"namespace"`
	}
	if rerr == nil {
		rerr = json.Unmarshal(data, &cfg)
	}
	if rerr != nil {
		return ns, from, fmt.Errorf("the Velero CLI's client config %s cannot be read (%w): fix it, or give --namespace", path, rerr)
	}
	switch v := cfg.Namespace.(type) {
	case nil:
	case string:
		if v != "" {
			ns, from = v, fromClientConfig+" ("+path+")"
		}
	default:
		return ns, from, fmt.Errorf("the Velero CLI's client config %s has a namespace that is not a string: fix it (velero client config set namespace=...), or give --namespace", path)
	}
	return ns, from, nil
}
