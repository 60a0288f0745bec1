package collect

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/velero-debug/velero-debug/internal/veleroapi"
)

// volumeOp is what the bundle's summaries keep of one volume operation
// (a PodVolumeBackup or Restore, a DataUpload or Download).
type volumeOp struct {
	resource, name, owner, phase, node, message string
}

// failed reports whether the operation failed or was canceled.
func (v volumeOp) failed() bool { return v.phase == "Failed" || v.phase == "Canceled" }

// volumeIndex keeps what volume-failures.md and the describe.txt of each
// backup and restore collected in detail need of the volume operations of
// a namespace: the failed ones, and every one of those backups and
// restores. It is fed by the same paged lists that write the operations
// into the bundle (see feed), never held whole.
type volumeIndex struct {
	feeds feeds[feedKey, []volumeOp]
	// detailed are the owners ("backups/<owner label>", "restores/<owner
	// label>", see ownerLabel) of each namespace collected in detail: all
	// their operations are kept.
	// They are noted before anything runs, and only read after.
	detailed map[string]map[string]bool
}

type feedKey struct{ namespace, resource string }

func newVolumeIndex() *volumeIndex {
	return &volumeIndex{detailed: map[string]map[string]bool{}}
}

// detail notes that the backup or restore (resource) name of namespace is
// collected in detail.
func (x *volumeIndex) detail(namespace, resource, name string) {
	if x.detailed[namespace] == nil {
		x.detailed[namespace] = map[string]bool{}
	}
	x.detailed[namespace][resource+"/"+veleroapi.OwnerLabel(name)] = true
}

// keep returns what the index keeps of o, an object of the volume kind
// resource, and whether it keeps it.
func (x *volumeIndex) keep(namespace, resource string, o *unstructured.Unstructured) (volumeOp, bool) {
	op := volumeOp{resource: resource, name: o.GetName(), phase: str(o.Object, "status", "phase"), message: str(o.Object, "status", "message")}
	k, _ := veleroapi.VolumeKindOf(resource)
	op.owner = o.GetLabels()[k.Label]
	op.node = veleroapi.NodeOf(str(o.Object, "status", "node"), str(o.Object, "spec", "node"), str(o.Object, "status", "acceptedByNode"))
	return op, op.failed() || x.detailed[namespace][k.Owner+"/"+op.owner]
}

// feedVolumes makes list q feed the summaries of the volume kind resource.
func (r *run) feedVolumes(q *objectQuery, resource string) {
	f, visit, ns := r.volumes.feeds.of(feedKey{q.namespace, resource}), q.visit, q.namespace
	var ops []volumeOp
	q.visit = func(o *unstructured.Unstructured) {
		if op, ok := r.volumes.keep(ns, resource, o); ok {
			ops = append(ops, op)
		}
		if visit != nil {
			visit(o)
		}
	}
	q.ended = func(complete bool) { f.end(ops, complete) }
}

// isDetailed reports whether the backup or restore (resource) name of
// namespace was noted, before the run, as collected in detail.
func (x *volumeIndex) isDetailed(namespace, resource, name string) bool {
	return x.detailed[namespace][resource+"/"+veleroapi.OwnerLabel(name)]
}

// ownerVolumeOps returns the operations of resource that belong to d: from
// the index when d was known before the run, else (a recent failure found
// while the run read the lists) from a list of its own, selected by the
// owner label, which holds a few objects.
func (r *run) ownerVolumeOps(ctx context.Context, d detailed, resource, version, ownerKey string) ([]volumeOp, error) {
	if r.volumes.isDetailed(d.namespace, d.resource, d.name) {
		return r.volumeOps(ctx, d.namespace, resource, version)
	}
	var ops []volumeOp
	ri := r.clients.Dynamic.Resource(gvr(VeleroGroup, version, resource)).Namespace(d.namespace)
	opts := metav1.ListOptions{LabelSelector: ownerKey + "=" + veleroapi.OwnerLabel(d.name)}
	err := r.eachObject(ctx, ri, opts, func(o *unstructured.Unstructured) {
		op, _ := r.volumes.keep(d.namespace, resource, o)
		ops = append(ops, op)
	})
	return ops, err
}

// volumeOps returns the operations of resource in namespace the index
// keeps, in the order of the list: from the list of the plan that claimed
// them once it ends, or else from a paged pass of their own.
func (r *run) volumeOps(ctx context.Context, namespace, resource, version string) ([]volumeOp, error) {
	return r.volumes.feeds.of(feedKey{namespace, resource}).get(ctx, func(ctx context.Context) ([]volumeOp, error) {
		var ops []volumeOp
		ri := r.clients.Dynamic.Resource(gvr(VeleroGroup, version, resource)).Namespace(namespace)
		err := r.eachObject(ctx, ri, metav1.ListOptions{}, func(o *unstructured.Unstructured) {
			if op, ok := r.volumes.keep(namespace, resource, o); ok {
				ops = append(ops, op)
			}
		})
		return ops, err
	})
}
