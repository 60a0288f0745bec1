package script

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"go.starlark.net/starlark"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

// tailArg is the tail of velero.logs: None for the run's, or a number of
// lines.
type tailArg struct {
	set bool
	n   int64
}

// Unpack implements starlark.Unpacker.
func (t *tailArg) Unpack(v starlark.Value) error {
	if v == starlark.None {
		*t = tailArg{}
		return nil
	}
	var n int64
	if err := starlark.AsInt(v, &n); err != nil {
		return fmt.Errorf("got %s, want None or an int", v.Type())
	}
	*t = tailArg{set: true, n: n}
	return nil
}

// paramError is an error about one parameter of a builtin.
func paramError(b *starlark.Builtin, param, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %s", b.Name(), param, fmt.Sprintf(format, args...))
}

// checkNamespace checks a namespace name; empty is left to the caller.
func checkNamespace(b *starlark.Builtin, param, ns string) error {
	if ns == "" {
		return paramError(b, param, "must not be empty")
	}
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return paramError(b, param, "%q is not a valid namespace: %s", ns, strings.Join(errs, "; "))
	}
	return nil
}

// checkName checks the name of an object (a DNS-1123 subdomain).
func checkName(b *starlark.Builtin, param, name string) error {
	if name == "" {
		return paramError(b, param, "must not be empty")
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return paramError(b, param, "%q is not a valid name: %s", name, strings.Join(errs, "; "))
	}
	return nil
}

// checkNames checks each name of a list.
func checkNames(b *starlark.Builtin, param string, names []string) error {
	for _, n := range names {
		if err := checkName(b, param, n); err != nil {
			return err
		}
	}
	return nil
}

// checkContainers checks container names (DNS-1123 labels).
func checkContainers(b *starlark.Builtin, param string, names []string) error {
	for _, n := range names {
		if errs := validation.IsDNS1123Label(n); len(errs) > 0 {
			return paramError(b, param, "%q is not a valid container name: %s", n, strings.Join(errs, "; "))
		}
	}
	return nil
}

// checkResource checks a plural resource name (deployments) or a Kind
// (Deployment).
func checkResource(b *starlark.Builtin, resource string) error {
	if resource == "" {
		return paramError(b, "resource", "must not be empty")
	}
	if errs := validation.IsDNS1123Label(strings.ToLower(resource)); len(errs) > 0 {
		return paramError(b, "resource", "%q is not a resource (deployments) or a Kind (Deployment): %s", resource, strings.Join(errs, "; "))
	}
	return nil
}

// checkNotSecrets refuses the core group's Secrets, however they are
// spelled: velero-debug never reads them. (The API client refuses them
// too, whatever a plan holds.)
func checkNotSecrets(b *starlark.Builtin, group, resource string) error {
	r := strings.ToLower(resource)
	if (group == "" || strings.EqualFold(group, "core")) && (r == "secret" || r == "secrets") {
		return paramError(b, "resource", "%q: velero-debug never reads Secrets; redaction cannot make their data safe to share", resource)
	}
	return nil
}

// checkGroup checks an API group; empty is the core group.
func checkGroup(b *starlark.Builtin, group string) error {
	if group == "" {
		return nil
	}
	if errs := validation.IsDNS1123Subdomain(group); len(errs) > 0 {
		return paramError(b, "group", "%q is not an API group (apps, velero.io): %s", group, strings.Join(errs, "; "))
	}
	return nil
}

// checkVersion checks an API version; empty is the preferred one.
func checkVersion(b *starlark.Builtin, version string) error {
	if version == "" {
		return nil
	}
	if errs := validation.IsDNS1123Label(version); len(errs) > 0 {
		return paramError(b, "version", "%q is not an API version (v1, v1beta1): %s", version, strings.Join(errs, "; "))
	}
	return nil
}

// checkLabels checks a label selector.
func checkLabels(b *starlark.Builtin, selector string) error {
	if _, err := labels.Parse(selector); err != nil {
		return paramError(b, "labels", "%q is not a label selector: %v", selector, err)
	}
	return nil
}

// checkFields checks a field selector.
func checkFields(b *starlark.Builtin, selector string) error {
	if _, err := fields.ParseSelector(selector); err != nil {
		return paramError(b, "fields", "%q is not a field selector: %v", selector, err)
	}
	return nil
}

// checkFieldPath checks a dotted field path: status.images.
func checkFieldPath(p string) error {
	if p == "" {
		return errors.New("a field path must not be empty")
	}
	for seg := range strings.SplitSeq(p, ".") {
		if seg == "" {
			return fmt.Errorf("field path %q has an empty segment", p)
		}
	}
	return nil
}

// reservedPaths are the bundle's own files.
var reservedPaths = map[string]bool{bundle.ManifestFile: true, bundle.SummaryFile: true}

// checkBundlePath checks a path in the bundle: relative, clean, slash
// separated, inside the bundle and none of its own files.
func checkBundlePath(b *starlark.Builtin, param, p string) error {
	reason := ""
	switch {
	case p == "":
		reason = "it is empty"
	case strings.ContainsAny(p, "\\\x00"):
		reason = "it contains a backslash or a NUL byte"
	case path.IsAbs(p):
		reason = "it is absolute; bundle paths are relative to the bundle's folder"
	case path.Clean(p) == ".." || strings.HasPrefix(path.Clean(p), "../"):
		reason = "it leaves the bundle's folder"
	case strings.Contains(p, "//"):
		reason = "it has an empty segment"
	case path.Clean(p) != p || p == ".":
		reason = "it is not clean (\".\" or \"..\" segments, or a trailing slash)"
	case reservedPaths[p]:
		reason = "it is one of the bundle's own files"
	default:
		return nil
	}
	return paramError(b, param, "bundle path %q: %s", p, reason)
}

// parseDuration parses a non-negative duration; empty is zero.
func parseDuration(b *starlark.Builtin, param, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, paramError(b, param, "%q is not a duration (20m, 2h): %v", s, err)
	}
	if d < 0 {
		return 0, paramError(b, param, "%q must not be negative", s)
	}
	return d, nil
}
