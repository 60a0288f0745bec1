package collect

import (
	"context"
	"encoding/json"
	"fmt"
	"path"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/plan"
)

// namedObject is one Backup or Restore the user asked for by name, stored
// on its own as backups/<name>/backup.json or restores/<name>/restore.json.
type namedObject struct {
	resource, kind, namespace, name string
}

// namedOf is the object of a Detail step.
func namedOf(d *plan.Detail) namedObject {
	return namedObject{resource: d.Resource(), kind: d.Kind, namespace: d.Namespace, name: d.Name}
}

func (n namedObject) path() string {
	return path.Join(n.resource, n.name, n.kind+".json")
}

// describePath is where the description of n goes.
func describePath(n namedObject) string { return path.Join(n.resource, n.name, "describe.txt") }

// serverLogPath is where the server's log lines about n go.
func serverLogPath(n namedObject) string { return path.Join(n.resource, n.name, "server-log.txt") }

// getNamed writes one named Backup or Restore and returns it; a missing one
// is an error item that says so, and a nil object.
func (r *run) getNamed(ctx context.Context, n namedObject) (*unstructured.Unstructured, error) {
	item := bundle.Item{Path: n.path(), Type: "object", Source: fmt.Sprintf("get %s.%s %s/%s", n.resource, VeleroGroup, n.namespace, n.name)}
	en, err := r.open(item)
	if err != nil {
		return nil, err
	}
	reqCtx, cancel := r.requestContext(ctx)
	defer cancel()
	o, err := r.clients.Dynamic.Resource(gvr(VeleroGroup, "v1", n.resource)).Namespace(n.namespace).Get(reqCtx, n.name, metav1.GetOptions{})
	if err != nil {
		return nil, en.Fail(describeAPIError(err, item.Source))
	}
	cleanObject(o)
	data, err := json.MarshalIndent(o.Object, "", "  ")
	if err != nil {
		return nil, en.Fail(fmt.Errorf("encoding %s: %w", n.name, err))
	}
	return o, writeAll(en, data)
}
