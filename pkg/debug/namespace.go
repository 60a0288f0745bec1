package debug

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/validation"
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
// no --namespace is given: its client config's "namespace", else
// $VELERO_NAMESPACE, else "velero"; with what chose it. A client config
// that cannot be read is passed over, as the Velero CLI does, with a
// warning to print.
func defaultNamespace() (ns, from, warning string) {
	ns, from = "velero", fromDefault
	if env := os.Getenv("VELERO_NAMESPACE"); env != "" {
		ns, from = env, fromEnv
	}
	path := veleroClientConfig()
	f, err := os.Open(path) //nolint:gosec // G304: the Velero CLI's own file
	if os.IsNotExist(err) {
		return ns, from, ""
	}
	var cfg map[string]any // decoded as the Velero CLI decodes it
	if err == nil {
		err = json.NewDecoder(f).Decode(&cfg)
		_ = f.Close()
	}
	if err != nil {
		return ns, from, fmt.Sprintf("the Velero CLI's client config %s cannot be read (%v): its namespace is not used", path, err)
	}
	switch v := cfg["namespace"].(type) {
	case nil:
	case string:
		if v != "" {
			ns, from = v, fromClientConfig+" ("+path+")"
		}
	default:
		return ns, from, fmt.Sprintf("the Velero CLI's client config %s has a namespace that is not a string: it is not used (velero client config set namespace=... fixes it)", path)
	}
	return ns, from, ""
}

// settleNamespace records whether --namespace chose the namespace, for
// the errors that name what chose it, and otherwise prints, once, why the
// Velero CLI's client config was passed over, if it was.
func (o *Options) settleNamespace(flags *pflag.FlagSet) {
	if flags.Changed("namespace") {
		o.namespaceFrom, o.namespaceWarning = fromFlag, ""
	}
	if o.namespaceWarning != "" {
		fmt.Fprintln(o.ErrOut, "velero-debug: WARNING:", o.namespaceWarning)
		o.namespaceWarning = ""
	}
}

// validNamespace fails when ns is not a valid namespace name.
func validNamespace(ns string) error {
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return fmt.Errorf("--namespace %q is not a valid namespace name: %s", ns, errs[0])
	}
	return nil
}
