package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/veleroapi"
)

// VeleroOptions say what to ask the Velero server.
type VeleroOptions struct {
	// Wait bounds how long the server may take to process one request; 0
	// does not ask the server at all (its version and files are skipped).
	Wait time.Duration
	// RecentFailures is how many of the most recent failed or partially
	// failed backups, and as many restores, are collected in detail
	// besides those named; 0 collects only those named.
	RecentFailures int
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

// veleroServer asks the server for its version and plugins, writes the
// named backups and restores and the most recent failed ones, and queues
// into jobs the download of their files and their description.
func (r *run) veleroServer(ctx context.Context, jobs *errgroup.Group) error {
	serverErr, err := r.serverVersion(ctx)
	if err != nil {
		return err
	}
	for _, res := range []struct {
		resource, kind string
		named          []string
	}{
		{"backups", "backup", r.cfg.Backups}, {"restores", "restore", r.cfg.Restores},
	} {
		names := res.named
		recent, err := r.recentFailures(ctx, res.resource, r.cfg.Velero.RecentFailures)
		if err != nil {
			item := bundle.Item{Path: res.resource + "/recent-failures.json", Type: "object-list", Source: "list " + res.resource}
			if err := r.fail(item, describeAPIError(err, "finding the most recent failed "+res.resource)); err != nil {
				return err
			}
		}
		for _, name := range dedupe(append(append([]string{}, names...), recent...)) {
			n := namedObject{resource: res.resource, kind: res.kind, name: name}
			obj, err := r.getNamed(ctx, n)
			if err != nil {
				return err
			}
			if obj == nil {
				continue // recorded as a failed item
			}
			jobs.Go(func() error { return r.detail(ctx, detailed{namedObject: n, obj: obj}, serverErr) })
		}
	}
	return nil
}

// serverVersion writes velero/version.json. serverErr is set when the
// server did not answer; err only when the bundle failed.
func (r *run) serverVersion(ctx context.Context) (serverErr, err error) {
	item := bundle.Item{Path: "velero/version.json", Type: "version", Source: "ServerStatusRequest, and the images of Velero's workloads"}
	r.obs.Started(item.Path)
	info := versionInfo{Client: map[string]string{"name": "velero-debug", "version": r.cfg.Velero.ClientVersion}, Server: map[string]string{}}
	if r.cfg.Velero.Wait <= 0 {
		info.Server["note"] = errNotAsked.Error()
		info.Images = r.workloadImages(ctx)
		data, err := json.MarshalIndent(info, "", "  ")
		if err != nil {
			return nil, err
		}
		r.obs.Finished(item.Path, bundle.StatusOK, int64(len(data)), "")
		return errNotAsked, r.addBytes(item, data)
	}
	st, serverErr := r.velero.ServerStatus(ctx)
	if serverErr != nil {
		info.Server["error"] = serverErr.Error()
	} else {
		info.Server["version"] = st.ServerVersion
		info.Plugins = st.Plugins
	}
	info.Images = r.workloadImages(ctx)
	info.Notes = skewNotes(info)
	data, jerr := json.MarshalIndent(info, "", "  ")
	if jerr != nil {
		return serverErr, jerr
	}
	e, err := r.open(item)
	if err != nil {
		return serverErr, err
	}
	if _, err := e.Write(data); err != nil {
		return serverErr, err
	}
	if serverErr != nil {
		r.obs.Finished(item.Path, statusOf(ctx, serverErr), int64(len(data)), serverErr.Error())
		return serverErr, e.Fail(fmt.Errorf("server version: %w", serverErr))
	}
	r.obs.Finished(item.Path, bundle.StatusOK, int64(len(data)), "")
	return nil, e.Commit()
}

// workloadImages lists the images of Velero's Deployments and DaemonSets:
// the plugins are the init containers of the server's Deployment.
func (r *run) workloadImages(ctx context.Context) []containerImage {
	var out []containerImage
	for _, res := range []string{"deployments", "daemonsets"} {
		reqCtx, cancel := r.requestContext(ctx)
		list, err := r.clients.Dynamic.Resource(gvr("apps", "v1", res)).Namespace(r.cfg.Namespace).List(reqCtx, metav1.ListOptions{})
		cancel()
		if err != nil {
			continue // the lists themselves record the error
		}
		for _, o := range list.Items {
			for _, field := range []string{"initContainers", "containers"} {
				cs, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", field)
				for _, c := range cs {
					m, _ := c.(map[string]any)
					name, _ := m["name"].(string)
					image, _ := m["image"].(string)
					out = append(out, containerImage{Workload: res[:len(res)-1] + "/" + o.GetName(), Container: name, Image: image, Init: field == "initContainers"})
				}
			}
		}
	}
	return out
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

func dedupe(names []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}
