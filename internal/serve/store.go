package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/bundleread"
)

// Source is a bundle, read as a stream: bundleread.Bundle.
type Source interface {
	Manifest() bundle.Manifest
	Each(ctx context.Context, fn func(item bundle.ManifestItem, content io.Reader) error) error
}

// Store is what a bundle holds, indexed for the API: its objects, by
// resource, kept as the JSON the bundle holds; its logs and Velero's files,
// spooled to a private folder and read on request.
type Store struct {
	manifest bundle.Manifest
	// resources are the bundle's resources, by group, version and name.
	resources map[schema.GroupVersionResource]*resource
	// failed are the lists the collection could not read, by
	// "<group>/<version>/<resource>/<namespace>": their errors.
	failed map[string]string
	// namespaces are the namespaces the bundle's objects live in.
	namespaces map[string]bool
	// logs are the spooled container logs, by namespace/pod/container,
	// with ".previous" for a previous log.
	logs map[string]string
	// files are Velero's spooled files of backups and restores, by their
	// bundle path.
	files map[string]string
	// crds are the CRDs' names and printer columns, by resource.
	crds map[schema.GroupVersionResource]crdInfo
	// version is the cluster's /version answer, veleroVersion the
	// bundle's velero/version.json.
	version, veleroVersion []byte
	dir                    string
	spooled                int
}

// resource is one resource of the bundle, with its objects.
type resource struct {
	gvr        schema.GroupVersionResource
	kind       string
	namespaced bool
	objects    []object
	// listed are the namespaces whose list the bundle holds ("" for the
	// whole cluster).
	listed map[string]bool
}

// object is one object of the bundle.
type object struct {
	namespace, name string
	labels          map[string]string
	raw             json.RawMessage
}

// Load reads the bundle b into a Store; logs and Velero's files go to
// files of their own in dir, a private folder the caller removes.
func Load(ctx context.Context, b Source, dir string) (*Store, error) {
	s := &Store{manifest: b.Manifest(), resources: map[schema.GroupVersionResource]*resource{}, failed: map[string]string{},
		namespaces: map[string]bool{}, logs: map[string]string{}, files: map[string]string{}, dir: dir}
	for _, it := range s.manifest.Items {
		if it.Status != bundle.StatusOK && it.Status != "" {
			if gvr, ns, ok := listOf(it.Path); ok {
				s.failed[failedKey(gvr, ns)] = it.Error
			}
		}
	}
	err := b.Each(ctx, func(it bundle.ManifestItem, r io.Reader) error {
		if r == nil {
			return nil
		}
		return s.item(it, r)
	})
	if err != nil {
		return nil, err
	}
	s.finish()
	return s, nil
}

// item indexes one item of the bundle.
func (s *Store) item(it bundle.ManifestItem, r io.Reader) error {
	p := it.Path
	parts := strings.Split(p, "/")
	switch {
	case p == "cluster/version.json":
		return s.readAll(r, &s.version)
	case p == "velero/version.json":
		return s.readAll(r, &s.veleroVersion)
	case len(parts) == 4 && parts[0] == "logs" && strings.HasSuffix(parts[3], ".log"):
		key, ok := logKey(parts)
		if !ok {
			return nil
		}
		f, err := s.spool(r)
		s.logs[key] = f
		return err
	case len(parts) == 3 && (parts[0] == "backups" || parts[0] == "restores"):
		if parts[2] == strings.TrimSuffix(parts[0], "s")+".json" {
			return s.detail(parts[0], r)
		}
		f, err := s.spool(r)
		s.files[p] = f
		return err
	}
	if gvr, ns, ok := listOf(p); ok {
		return s.list(gvr, ns, r)
	}
	return nil
}

// logKey is the key of the log at parts (logs/<ns>/<pod>/<file>).
func logKey(parts []string) (string, bool) {
	name := strings.TrimSuffix(parts[3], ".log")
	previous := strings.HasSuffix(name, ".previous")
	container := strings.TrimSuffix(name, ".previous")
	if container == "" {
		return "", false
	}
	key := parts[1] + "/" + parts[2] + "/" + container
	if previous {
		key += ".previous"
	}
	return key, true
}

func (s *Store) readAll(r io.Reader, dst *[]byte) error {
	data, err := io.ReadAll(io.LimitReader(r, 16<<20))
	*dst = data
	return err
}

// spool copies r to a new file of the store's folder and returns its path.
func (s *Store) spool(r io.Reader) (string, error) {
	s.spooled++
	p := filepath.Join(s.dir, strconv.Itoa(s.spooled))
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) //nolint:gosec // G304: a name of the store's own
	if err != nil {
		return "", err
	}
	_, err = io.Copy(f, r)
	return p, errors.Join(err, f.Close())
}

// clusterLists are the bundle's lists of cluster-scoped resources outside
// resources/, as the default plan names them.
var clusterLists = map[string]schema.GroupVersionResource{
	"cluster/nodes.json":                  {Version: "v1", Resource: "nodes"},
	"cluster/persistentvolumes.json":      {Version: "v1", Resource: "persistentvolumes"},
	"cluster/storageclasses.json":         {Group: "storage.k8s.io", Version: "v1", Resource: "storageclasses"},
	"cluster/csidrivers.json":             {Group: "storage.k8s.io", Version: "v1", Resource: "csidrivers"},
	"cluster/priorityclasses.json":        {Group: "scheduling.k8s.io", Version: "v1", Resource: "priorityclasses"},
	"cluster/volumesnapshotclasses.json":  {Group: "snapshot.storage.k8s.io", Version: "v1", Resource: "volumesnapshotclasses"},
	"cluster/volumesnapshotcontents.json": {Group: "snapshot.storage.k8s.io", Version: "v1", Resource: "volumesnapshotcontents"},
	"cluster/crds.json":                   {Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"},
}

// listOf returns the resource and namespace ("" for cluster-scoped, "*"
// for every namespace) of the list at bundle path p.
func listOf(p string) (schema.GroupVersionResource, string, bool) {
	if gvr, ok := clusterLists[p]; ok {
		return gvr, "", true
	}
	parts := strings.Split(p, "/")
	if len(parts) != 4 || parts[0] != "resources" || !strings.HasSuffix(parts[3], ".json") {
		return schema.GroupVersionResource{}, "", false
	}
	i := strings.LastIndexByte(parts[2], '_')
	if i <= 0 || i == len(parts[2])-1 {
		return schema.GroupVersionResource{}, "", false
	}
	gvr := schema.GroupVersionResource{Group: parts[2][:i], Version: parts[2][i+1:], Resource: strings.TrimSuffix(parts[3], ".json")}
	if gvr.Group == "core" {
		gvr.Group = ""
	}
	ns := parts[1]
	switch ns {
	case "_cluster":
		ns = ""
	case "_all":
		ns = "*"
	}
	return gvr, ns, true
}

func failedKey(gvr schema.GroupVersionResource, ns string) string {
	return gvr.Group + "/" + gvr.Version + "/" + gvr.Resource + "/" + ns
}

// list indexes the objects of a JSON List of gvr, one at a time.
func (s *Store) list(gvr schema.GroupVersionResource, ns string, r io.Reader) error {
	res := s.resource(gvr)
	res.namespaced = res.namespaced || ns != ""
	res.listed[ns] = true
	return bundleread.EachListItem(r, func(raw json.RawMessage) { s.add(res, raw) })
}

// detail indexes the object of a backup or restore collected in detail,
// unless its list holds it already.
func (s *Store) detail(resourceName string, r io.Reader) error {
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return err
	}
	res := s.resource(schema.GroupVersionResource{Group: "velero.io", Version: "v1", Resource: resourceName})
	res.namespaced = true
	s.add(res, data)
	return nil
}

func (s *Store) resource(gvr schema.GroupVersionResource) *resource {
	res := s.resources[gvr]
	if res == nil {
		res = &resource{gvr: gvr, listed: map[string]bool{}}
		s.resources[gvr] = res
	}
	return res
}

// add keeps one object of res; a damaged one is left out.
func (s *Store) add(res *resource, raw json.RawMessage) {
	var o struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name      string            `json:"name"`
			Namespace string            `json:"namespace"`
			Labels    map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	if json.Unmarshal(raw, &o) != nil || o.Metadata.Name == "" {
		return
	}
	if res.kind == "" {
		res.kind = o.Kind
	}
	if o.Metadata.Namespace != "" {
		res.namespaced = true
		s.namespaces[o.Metadata.Namespace] = true
	}
	var compact bytes.Buffer
	if json.Compact(&compact, raw) != nil {
		return
	}
	res.objects = append(res.objects, object{namespace: o.Metadata.Namespace, name: o.Metadata.Name, labels: o.Metadata.Labels, raw: compact.Bytes()})
}

// finish orders each resource's objects and drops the copies of one
// object (a detail's object beside its list's).
func (s *Store) finish() {
	for _, res := range s.resources {
		sort.SliceStable(res.objects, func(i, j int) bool {
			a, b := res.objects[i], res.objects[j]
			if a.namespace != b.namespace {
				return a.namespace < b.namespace
			}
			return a.name < b.name
		})
		out := res.objects[:0]
		for i, o := range res.objects {
			if i > 0 && o.namespace == res.objects[i-1].namespace && o.name == res.objects[i-1].name {
				continue
			}
			out = append(out, o)
		}
		res.objects = out
		if res.kind == "" {
			res.kind = kindOf(res.gvr.Resource)
		}
	}
	s.readCRDs()
}

// kindOf guesses the kind of an empty list's resource: its known kind, or
// its name made singular and capitalized.
func kindOf(resource string) string {
	if k, ok := knownKinds[resource]; ok {
		return k
	}
	singular := strings.TrimSuffix(resource, "s")
	if singular == "" {
		return resource
	}
	return strings.ToUpper(singular[:1]) + singular[1:]
}

// knownKinds are the kinds of the resources the default plan lists.
var knownKinds = map[string]string{
	"pods": "Pod", "events": "Event", "configmaps": "ConfigMap", "services": "Service", "serviceaccounts": "ServiceAccount",
	"persistentvolumeclaims": "PersistentVolumeClaim", "persistentvolumes": "PersistentVolume", "nodes": "Node", "namespaces": "Namespace",
	"deployments": "Deployment", "daemonsets": "DaemonSet", "replicasets": "ReplicaSet", "jobs": "Job",
	"storageclasses": "StorageClass", "csidrivers": "CSIDriver", "priorityclasses": "PriorityClass",
	"volumesnapshots": "VolumeSnapshot", "volumesnapshotcontents": "VolumeSnapshotContent", "volumesnapshotclasses": "VolumeSnapshotClass",
	"customresourcedefinitions": "CustomResourceDefinition",
	"backups":                   "Backup", "restores": "Restore", "schedules": "Schedule", "backupstoragelocations": "BackupStorageLocation",
	"volumesnapshotlocations": "VolumeSnapshotLocation", "backuprepositories": "BackupRepository", "podvolumebackups": "PodVolumeBackup",
	"podvolumerestores": "PodVolumeRestore", "deletebackuprequests": "DeleteBackupRequest", "downloadrequests": "DownloadRequest",
	"serverstatusrequests": "ServerStatusRequest", "datauploads": "DataUpload", "datadownloads": "DataDownload",
}

// Namespace is the Velero namespace the bundle was collected from, when
// manifest.json names a valid one; else velero. The bundle is untrusted:
// the name is printed in lines to paste into a shell.
func (s *Store) Namespace() string {
	if ns, ok := s.manifest.Options["namespace"].(string); ok && len(validation.IsDNS1123Label(ns)) == 0 {
		return ns
	}
	return "velero"
}

// logFile is the spooled log of a container, if the bundle has it.
func (s *Store) logFile(namespace, pod, container string, previous bool) (string, bool) {
	key := namespace + "/" + pod + "/" + container
	if previous {
		key += ".previous"
	}
	f, ok := s.logs[key]
	return f, ok
}

// String says what the store holds, for messages.
func (s *Store) String() string {
	n := 0
	for _, r := range s.resources {
		n += len(r.objects)
	}
	return fmt.Sprintf("%d objects of %d resources, %d logs, %d files of Velero", n, len(s.resources), len(s.logs), len(s.files))
}
