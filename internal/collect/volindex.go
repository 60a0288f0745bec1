package collect

import (
	"context"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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
// into the bundle, so that each list is read once and never held whole;
// a kind that no list of the plan feeds is read by a pass of its own, once.
type volumeIndex struct {
	mu    sync.Mutex
	feeds map[feedKey]*feed
	// detailed are the owners ("backups/<name>", "restores/<name>") of
	// each namespace collected in detail: all their operations are kept.
	detailed map[string]map[string]bool
}

type feedKey struct{ namespace, resource string }

// feed is one kind of volume operation of one namespace.
type feed struct {
	claimed bool          // a list of the plan will feed it
	done    chan struct{} // closed once fed, or once its list gave up
	fed     bool          // the list read it whole
	err     error         // of its own pass
	own     sync.Once     // the pass of its own, when no list fed it
	ops     []volumeOp
}

func newVolumeIndex() *volumeIndex {
	return &volumeIndex{feeds: map[feedKey]*feed{}, detailed: map[string]map[string]bool{}}
}

// feedOf returns the feed of resource in namespace, made on first use.
func (x *volumeIndex) feedOf(namespace, resource string) *feed {
	x.mu.Lock()
	defer x.mu.Unlock()
	k := feedKey{namespace, resource}
	f := x.feeds[k]
	if f == nil {
		f = &feed{done: make(chan struct{})}
		x.feeds[k] = f
	}
	return f
}

// detail notes that owner (a backup or restore, as "backups/<name>") of
// namespace is collected in detail. Every detail is noted before anything
// runs.
func (x *volumeIndex) detail(namespace, owner string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.detailed[namespace] == nil {
		x.detailed[namespace] = map[string]bool{}
	}
	x.detailed[namespace][owner] = true
}

// claim reports whether the list of resource in namespace that a step
// will make may feed the index: the first to ask does. A claimed feed
// must be finished.
func (x *volumeIndex) claim(namespace, resource string) bool {
	f := x.feedOf(namespace, resource)
	x.mu.Lock()
	defer x.mu.Unlock()
	if f.claimed {
		return false
	}
	f.claimed = true
	return true
}

// add keeps what the index needs of o, an object of a volume kind.
func (x *volumeIndex) add(f *feed, namespace, resource string, o *unstructured.Unstructured) {
	op, ok := x.keep(namespace, resource, o)
	if !ok {
		return
	}
	x.mu.Lock()
	f.ops = append(f.ops, op)
	x.mu.Unlock()
}

// ownerResource is what the operations of each kind belong to.
var ownerResource = map[string]string{"podvolumebackups": "backups", "datauploads": "backups", "podvolumerestores": "restores", "datadownloads": "restores"}

func (x *volumeIndex) keep(namespace, resource string, o *unstructured.Unstructured) (volumeOp, bool) {
	op := volumeOp{resource: resource, name: o.GetName(), phase: str(o.Object, "status", "phase"), message: str(o.Object, "status", "message")}
	for _, k := range volumeKinds {
		if k.resource == resource {
			op.owner = o.GetLabels()[k.owner]
		}
	}
	if op.node = str(o.Object, "status", "node"); op.node == "" {
		op.node = str(o.Object, "spec", "node")
	}
	x.mu.Lock()
	detailed := x.detailed[namespace][ownerResource[resource]+"/"+op.owner]
	x.mu.Unlock()
	return op, op.failed() || detailed
}

// finish ends the feed of resource in namespace that a list claimed; fed
// tells whether the list read every object.
func (x *volumeIndex) finish(namespace, resource string, fed bool) {
	f := x.feedOf(namespace, resource)
	x.mu.Lock()
	defer x.mu.Unlock()
	select {
	case <-f.done:
		return
	default:
	}
	f.fed = fed
	if !fed {
		f.ops = nil
	}
	close(f.done)
}

// ops returns the operations of resource in namespace the index keeps, in
// the order of the list: from the list of the plan that claimed them once
// it ends, or else from a paged pass of their own.
func (r *run) volumeOps(ctx context.Context, namespace, resource, version string) ([]volumeOp, error) {
	x := r.volumes
	f := x.feedOf(namespace, resource)
	x.mu.Lock()
	claimed := f.claimed
	x.mu.Unlock()
	if claimed {
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		x.mu.Lock()
		fed, ops := f.fed, f.ops
		x.mu.Unlock()
		if fed {
			return ops, nil
		}
	}
	f.own.Do(func() {
		var ops []volumeOp
		ri := r.clients.Dynamic.Resource(gvr(VeleroGroup, version, resource)).Namespace(namespace)
		f.err = r.eachObject(ctx, ri, metav1.ListOptions{}, func(o *unstructured.Unstructured) {
			if op, ok := x.keep(namespace, resource, o); ok {
				ops = append(ops, op)
			}
		})
		x.mu.Lock()
		f.ops, f.fed = ops, f.err == nil
		x.mu.Unlock()
	})
	x.mu.Lock()
	defer x.mu.Unlock()
	return f.ops, f.err
}
