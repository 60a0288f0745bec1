package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/plan"
	"github.com/velero-debug/velero-debug/internal/schedule"
	"github.com/velero-debug/velero-debug/internal/veleroapi"
)

// VeleroOptions say what to ask the Velero server.
type VeleroOptions struct {
	// Wait bounds how long the server may take to process one request; 0
	// does not ask the server at all (its version and files are skipped).
	Wait time.Duration
	// TLS says how to trust the object store, besides each storage
	// location's caCert.
	TLS veleroapi.TLS
	// ClientVersion is velero-debug's version, recorded beside the server's.
	ClientVersion string
}

// errNotAsked is why the server's answers are missing when the run was told
// not to ask.
var errNotAsked = errors.New("the Velero server was not asked (--server-timeout 0)")

// versionInfo is velero/version.json.
type versionInfo struct {
	Client  map[string]string  `json:"client"`
	Server  map[string]string  `json:"server"`
	Plugins []veleroapi.Plugin `json:"plugins"`
	Images  []containerImage   `json:"images"`
	Notes   []string           `json:"notes,omitempty"`
}

type containerImage struct {
	Workload  string `json:"workload"`
	Container string `json:"container"`
	Image     string `json:"image"`
	Init      bool   `json:"init,omitempty"`
}

// veleroServer asks the Velero server of each ServerVersion step for its
// version and plugins, then returns the jobs of each Detail step (its
// object, the download of its files and its description, which need the
// server's answer), and for each RecentFailed step a job that finds its
// backups or restores and returns their jobs. The server of a namespace is asked once, and its first
// answer holds for the namespace; a version.json another step already wrote
// is left out, and the details are still collected.
func (r *run) veleroServer(ctx context.Context, versions []*plan.ServerVersion, details []*plan.Detail, recent []*plan.RecentFailed) ([]schedule.Job, error) {
	serverErrs := map[string]error{}
	for _, v := range versions {
		if _, asked := serverErrs[v.Namespace]; asked {
			continue
		}
		serverErr, err := r.serverVersion(ctx, v.Namespace)
		if ignoreLeftOut(err) != nil {
			return nil, err
		}
		serverErrs[v.Namespace] = serverErr
	}
	serverOf := func(namespace string) error {
		serverErr, asked := serverErrs[namespace]
		if !asked && r.cfg.Velero.Wait <= 0 {
			serverErr = errNotAsked
		}
		return serverErr
	}
	// The evidence of a namespace's details is gathered once all are
	// known: the named ones now, each RecentFailed step's when it tells.
	named := map[string][]namedObject{}
	for _, d := range details {
		named[d.Namespace] = append(named[d.Namespace], namedOf(d))
	}
	for _, rf := range recent {
		r.evidence.expect(rf.Namespace, 1)
	}
	var jobs []schedule.Job
	for _, d := range details {
		job := r.namedJob(namedOf(d), serverOf(d.Namespace))
		job.Path = "" // claimed when the step expanded
		jobs = append(jobs, job)
	}
	for _, ns := range slices.Sorted(maps.Keys(named)) {
		r.evidence.expect(ns, 1)
		jobs = append(jobs, r.told(ns, named[ns]...)...)
	}
	for _, rf := range recent {
		// Found once their lists end: in a job of their own, so that the
		// named details do not wait for them.
		serverErr := serverOf(rf.Namespace)
		jobs = append(jobs, expanding(classSummaries, func(ctx context.Context) ([]schedule.Job, error) {
			names, err := r.recentFailed(ctx, rf)
			var found []schedule.Job
			var objs []namedObject
			for _, name := range names {
				n := namedObject{resource: rf.Resource(), kind: rf.Kind, namespace: rf.Namespace, name: name}
				if !r.sched.Claim(n.path()) {
					continue // named too, or one of another namespace of the same name
				}
				job := r.namedJob(n, serverErr)
				job.Path = "" // claimed
				objs = append(objs, n)
				found = append(found, job)
			}
			return append(found, r.told(rf.Namespace, objs...)...), err
		}))
	}
	return jobs, nil
}

// namedJob collects backup or restore n in detail: its object, then the
// download of its files and its description.
func (r *run) namedJob(n namedObject, serverErr error) schedule.Job {
	job := expanding(classLists, func(ctx context.Context) ([]schedule.Job, error) {
		obj, err := r.getNamed(ctx, n)
		if obj == nil || err != nil {
			return nil, err // recorded as a failed item
		}
		return []schedule.Job{r.detail(detailed{namedObject: n, obj: obj}, serverErr)}, nil
	})
	job.Path = n.path()
	return job
}

// serverVersion writes velero/version.json. serverErr is set when the
// server did not answer; err only when the bundle failed. When another
// step already wrote version.json (another namespace's), the server is
// still asked: its answer decides its details' downloads.
func (r *run) serverVersion(ctx context.Context, namespace string) (serverErr, err error) {
	item := bundle.Item{Path: "velero/version.json", Type: "version", Source: "ServerStatusRequest, and the images of Velero's workloads"}
	e, err := r.open(item) // now: the item's time is the server's
	if ignoreLeftOut(err) != nil {
		return nil, err
	}
	info := versionInfo{Client: map[string]string{"name": "velero-debug", "version": r.cfg.Velero.ClientVersion}, Server: map[string]string{}}
	if r.cfg.Velero.Wait <= 0 {
		info.Server["note"] = errNotAsked.Error()
		serverErr = errNotAsked
	} else {
		var st *veleroapi.ServerStatus
		client := r.veleroClient(namespace)
		absence := r.serverAbsence(ctx, namespace)
		if absence != "" {
			client.Wait = min(client.Wait, outsideWait)
		}
		if st, serverErr = client.ServerStatus(ctx); serverErr != nil {
			if absence != "" && errors.Is(serverErr, veleroapi.ErrNoAnswer) {
				serverErr = fmt.Errorf("%w; %s (asked for %s, not --server-timeout, in case it runs outside the cluster)", serverErr, absence, client.Wait)
			}
			info.Server["error"] = serverErr.Error()
		} else {
			info.Server["version"] = st.ServerVersion
			info.Plugins = st.Plugins
		}
	}
	info.Images = r.workloadImages(ctx, namespace)
	info.Notes = skewNotes(info)
	if e == nil {
		return serverErr, errLeftOut
	}
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return serverErr, e.Fail(fmt.Errorf("encoding version.json: %w", err))
	}
	if _, err := e.Write(data); err != nil {
		return serverErr, e.Fail(err)
	}
	if serverErr != nil && !errors.Is(serverErr, errNotAsked) {
		return serverErr, e.Fail(fmt.Errorf("server version: %w", serverErr))
	}
	return serverErr, e.Commit()
}

// workloadResources are the workloads whose images version.json lists.
var workloadResources = []string{"deployments", "daemonsets"}

// workloadImages are the images of Velero's Deployments and DaemonSets
// (the plugins are the init containers of the server's Deployment): from
// the plan's lists of them as they read (see feedImages), else from lists
// of their own.
func (r *run) workloadImages(ctx context.Context, namespace string) []containerImage {
	var out []containerImage
	for _, res := range workloadResources {
		images, err := r.images.of(feedKey{namespace, res}).get(ctx, func(ctx context.Context) ([]containerImage, error) {
			var images []containerImage
			ri := r.clients.Dynamic.Resource(gvr("apps", "v1", res)).Namespace(namespace)
			err := r.eachObject(ctx, ri, metav1.ListOptions{}, func(o *unstructured.Unstructured) { images = append(images, imagesOf(res, o)...) })
			return images, err
		})
		if err != nil {
			continue // the lists themselves record the error
		}
		out = append(out, images...)
	}
	return out
}

// imagesOf lists the containers of o, a workload of resource.
func imagesOf(resource string, o *unstructured.Unstructured) []containerImage {
	var out []containerImage
	for _, field := range []string{"initContainers", "containers"} {
		cs, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", field)
		for _, c := range cs {
			m, _ := c.(map[string]any)
			name, _ := m["name"].(string)
			image, _ := m["image"].(string)
			out = append(out, containerImage{Workload: resource[:len(resource)-1] + "/" + o.GetName(), Container: name, Image: image, Init: field == "initContainers"})
		}
	}
	return out
}

// imagesFeed reports whether the Objects step o lists, unfiltered, the
// workloads of a namespace whose images version.json lists: its list may
// then feed them.
func imagesFeed(o *plan.Objects) (feedKey, bool) {
	plain := o.Group == "apps" && o.Version == "v1" && o.Namespace != "" && !o.AllNamespaces &&
		len(o.Names) == 0 && o.LabelSelector == "" && o.FieldSelector == "" && len(o.Keep) == 0 && len(o.Drop) == 0
	if !plain || !slices.Contains(workloadResources, o.Resource) {
		return feedKey{}, false
	}
	return feedKey{o.Namespace, o.Resource}, true
}

// feedImages makes q, a list of workloads, feed the images of key.
func (r *run) feedImages(q *objectQuery, key feedKey) {
	f, visit := r.images.of(key), q.visit
	var images []containerImage
	q.visit = func(o *unstructured.Unstructured) {
		images = append(images, imagesOf(key.resource, o)...)
		if visit != nil {
			visit(o)
		}
	}
	q.ended = func(complete bool) { f.end(images, complete) }
}

// skewNotes flags a server whose reported version is not the one its
// image is tagged with (an upgrade half done, or a custom build).
func skewNotes(info versionInfo) []string {
	server := info.Server["version"]
	if server == "" {
		return nil
	}
	var notes []string
	for _, img := range info.Images {
		if img.Init || !strings.Contains(img.Image, "velero/velero:") {
			continue
		}
		tag := img.Image[strings.LastIndex(img.Image, ":")+1:]
		if tag != server && !strings.HasPrefix(tag, server+"-") {
			notes = append(notes, fmt.Sprintf("%s container %s runs image %s, but the server reports %s", img.Workload, img.Container, img.Image, server))
		}
	}
	return notes
}
