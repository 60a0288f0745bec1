package collect

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"path"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/schedule"
	"github.com/velero-debug/velero-debug/internal/veleroapi"
)

// download is one file of object storage; it goes in the bundle under
// its target's file name (veleroapi.Target.File).
type download struct {
	target veleroapi.Target
	// fallbacks are older targets for the same facts, tried in turn when
	// the store has no file for target (Velero before 1.13).
	fallbacks []download
}

var backupDownloads = []download{
	{target: veleroapi.BackupLog},
	{target: veleroapi.BackupResults},
	{target: veleroapi.BackupItemOperations},
	{target: veleroapi.BackupResourceList},
	{target: veleroapi.BackupVolumeInfos, fallbacks: []download{
		{target: veleroapi.BackupVolumeSnapshots},
		{target: veleroapi.CSIVolumeSnapshots},
	}},
}

var restoreDownloads = []download{
	{target: veleroapi.RestoreLog},
	{target: veleroapi.RestoreResults},
	{target: veleroapi.RestoreItemOperations},
	{target: veleroapi.RestoreResourceList},
	{target: veleroapi.RestoreVolumeInfo},
}

// detailed is a backup or restore collected in detail.
type detailed struct {
	namedObject
	obj *unstructured.Unstructured
	// client downloads its files: made once, on first use, for all of them.
	client func() (*http.Client, error)
}

// startOf orders backups and restores: their start, else their creation.
func startOf(o *unstructured.Unstructured) string {
	if s, _, _ := unstructured.NestedString(o.Object, "status", "startTimestamp"); s != "" {
		return s
	}
	return o.GetCreationTimestamp().UTC().Format("2006-01-02T15:04:05Z")
}

// downloadAll returns the jobs that stream the object-storage files of d
// into the bundle, keeping in caps the small ones describe.txt reads.
func (r *run) downloadAll(d detailed, server error, caps *captures) []schedule.Job {
	files := backupDownloads
	if d.resource == "restores" {
		files = restoreDownloads
	}
	phase := phaseOf(d)
	var skip string
	switch {
	case phase == veleroapi.PhaseFailedValidation:
		skip = fmt.Sprintf("the %s failed validation: Velero wrote no file for it", d.kind)
	case !veleroapi.Uploaded(phase):
		skip = fmt.Sprintf("the %s is %s: Velero uploads this file when its main pass ends; server-log.txt holds the server's lines about it", d.kind, phaseName(phase))
	case server != nil:
		skip = fmt.Sprintf("not downloaded: %v", server)
		if !errors.Is(server, errNotAsked) {
			skip += "; its version.json item says why"
		}
	}
	var jobs []schedule.Job
	for _, f := range files {
		item := bundle.Item{Path: path.Join(d.resource, d.name, f.target.File()), Type: "download", Source: string(f.target) + " " + d.name}
		if skip != "" {
			caps.miss(f.target, skip)
			jobs = append(jobs, leaf(classSteps, item.Path, func(context.Context) error { return r.skip(item, skip) }))
			continue
		}
		jobs = append(jobs, leaf(classVelero, item.Path, func(ctx context.Context) error { return r.download(ctx, d, f, caps) }))
	}
	return jobs
}

// phaseOf is the phase of d.
func phaseOf(d detailed) string {
	phase, _, _ := unstructured.NestedString(d.obj.Object, "status", "phase")
	return phase
}

func phaseName(phase string) string {
	if phase == "" {
		return "new"
	}
	return phase
}

// download streams one file, trying its fallbacks when the store has none.
func (r *run) download(ctx context.Context, d detailed, f download, caps *captures) error {
	item := bundle.Item{Path: path.Join(d.resource, d.name, f.target.File()), Type: "download",
		Source: fmt.Sprintf("DownloadRequest %s for %s %s", f.target, d.kind, d.name)}
	e, err := r.open(item)
	if err != nil {
		return err
	}
	hc, err := d.client()
	var noStore *noStoreError
	switch {
	case errors.As(err, &noStore):
		caps.miss(f.target, noStore.reason)
		return e.Skip(noStore.reason)
	case err != nil:
		caps.miss(f.target, "not downloaded: "+err.Error())
		return e.Fail(err)
	}
	out := &bundle.Counter{W: e}
	_, err = r.veleroClient(d.namespace).Download(ctx, f.target, d.name, hc, caps.writer(f.target, out))
	switch {
	case errors.Is(err, veleroapi.ErrNotFound) && out.N == 0 && phaseOf(d) == "Failed":
		// Not a failure of the collection: a backup or restore that
		// failed may have stopped before Velero uploaded its files, or
		// failed to upload them.
		reason := fmt.Sprintf("%s is not in object storage: the %s failed, before Velero uploaded it or while it did (see its failure reason, and server-log.txt or the server's log)", f.target, d.kind)
		caps.miss(f.target, reason)
		return e.Skip(reason)
	case errors.Is(err, veleroapi.ErrNotFound) && out.N == 0 && len(f.fallbacks) > 0:
		reason := fmt.Sprintf("%s is not in object storage (Velero before 1.13 wrote older files)", f.target)
		caps.miss(f.target, reason)
		if err := e.Skip(reason); err != nil {
			return err
		}
		for _, fb := range f.fallbacks {
			if err := r.download(ctx, d, fb, caps); err != nil {
				return err
			}
		}
		return nil
	case err != nil:
		err = fmt.Errorf("%s for %s %s: %w", f.target, d.kind, d.name, err)
		caps.miss(f.target, "not downloaded: "+err.Error())
		return e.Fail(err)
	}
	return e.Commit()
}

// objectStoreClient trusts the CA of the storage location that holds d,
// plus --cacert. When that location, or a restore's backup, does not
// exist, Velero answers no DownloadRequest for d's files (it logs an
// error and leaves the request new): the error is a *noStoreError.
func (r *run) objectStoreClient(ctx context.Context, d detailed) (*http.Client, error) {
	tlsCfg := r.cfg.Velero.TLS
	ca, err := r.locationCACert(ctx, d)
	if err != nil {
		return nil, err
	}
	if len(ca) > 0 {
		tlsCfg.CACert = append(append([]byte{}, tlsCfg.CACert...), append([]byte("\n"), ca...)...)
	}
	return tlsCfg.HTTPClient()
}

// noStoreError says why Velero cannot serve the files of a backup or
// restore: not a failure of the collection.
type noStoreError struct{ reason string }

func (e *noStoreError) Error() string { return e.reason }

// locationCACert is the caCert of the storage location of a backup (or of
// a restore's backup); nil when there is none or it cannot be read. It is
// a *noStoreError when the backup or the location does not exist.
func (r *run) locationCACert(ctx context.Context, d detailed) ([]byte, error) {
	backup := d.obj
	if d.resource == "restores" {
		name, _, _ := unstructured.NestedString(d.obj.Object, "spec", "backupName")
		reqCtx, cancel := r.requestContext(ctx)
		b, err := r.clients.Dynamic.Resource(gvr(VeleroGroup, "v1", "backups")).Namespace(d.namespace).Get(reqCtx, name, metav1.GetOptions{})
		cancel()
		if apierrors.IsNotFound(err) {
			return nil, &noStoreError{fmt.Sprintf("not downloaded: the restore's backup %q does not exist any more, and Velero finds a restore's files through its backup: it answers no request for them", name)}
		}
		if err != nil {
			return nil, nil // the server may still know; ask it
		}
		backup = b
	}
	loc, _, _ := unstructured.NestedString(backup.Object, "spec", "storageLocation")
	if loc == "" {
		return nil, nil
	}
	reqCtx, cancel := r.requestContext(ctx)
	defer cancel()
	bsl, err := r.clients.Dynamic.Resource(gvr(VeleroGroup, "v1", "backupstoragelocations")).Namespace(d.namespace).Get(reqCtx, loc, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, &noStoreError{fmt.Sprintf("not downloaded: the backup storage location %q of %s does not exist: Velero answers no request for its files", loc, backupName(d, backup))}
	}
	if err != nil {
		return nil, nil
	}
	enc, _, _ := unstructured.NestedString(bsl.Object, "spec", "objectStorage", "caCert")
	ca, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, nil
	}
	return ca, nil
}

// backupName names the backup whose location holds d's files.
func backupName(d detailed, backup *unstructured.Unstructured) string {
	if d.resource == "restores" {
		return "its backup " + backup.GetName()
	}
	return "the backup"
}
