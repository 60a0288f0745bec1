package veleroapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/klauspost/compress/gzip"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/velero-debug/velero-debug/internal/idle"
)

// Target is a kind of file that Velero keeps in object storage for a
// backup or a restore (a DownloadRequest's spec.target.kind).
type Target string

// The targets velero-debug downloads.
const (
	BackupLog             Target = "BackupLog"
	BackupResults         Target = "BackupResults"
	BackupItemOperations  Target = "BackupItemOperations"
	BackupResourceList    Target = "BackupResourceList"
	BackupVolumeInfos     Target = "BackupVolumeInfos"
	BackupVolumeSnapshots Target = "BackupVolumeSnapshots"
	CSIVolumeSnapshots    Target = "CSIBackupVolumeSnapshots"
	RestoreLog            Target = "RestoreLog"
	RestoreResults        Target = "RestoreResults"
	RestoreItemOperations Target = "RestoreItemOperations"
	RestoreResourceList   Target = "RestoreResourceList"
	RestoreVolumeInfo     Target = "RestoreVolumeInfo"
)

// files are the names of the targets' files in the folder of their
// backup or restore in a bundle (backups/<name>/, restores/<name>/).
var files = map[Target]string{
	BackupLog: "log.txt", BackupResults: "results.json", BackupItemOperations: "item-operations.json",
	BackupResourceList: "resource-list.json", BackupVolumeInfos: "volume-info.json",
	BackupVolumeSnapshots: "volume-snapshots.json", CSIVolumeSnapshots: "csi-volume-snapshots.json",
	RestoreLog: "log.txt", RestoreResults: "results.json", RestoreItemOperations: "item-operations.json",
	RestoreResourceList: "resource-list.json", RestoreVolumeInfo: "volume-info.json",
}

// File is the name of t's file in the folder of its backup or restore in
// a bundle; "" for a target velero-debug does not download.
func (t Target) File() string { return files[t] }

// Owner is the resource whose files t names: backups or restores.
func (t Target) Owner() string {
	if strings.HasPrefix(string(t), "Restore") {
		return "restores"
	}
	return "backups"
}

// ErrNotFound means object storage has no such file: the backup or
// restore never wrote it (an older Velero, or a run that failed early).
var ErrNotFound = errors.New("not found in object storage")

// TLS says how to trust the object store's certificate.
type TLS struct {
	// CACert is PEM data: the storage location's caCert and --cacert.
	CACert []byte
	// InsecureSkipVerify trusts any certificate (--insecure-skip-tls-verify).
	InsecureSkipVerify bool
}

// HTTPClient returns a client for pre-signed URLs that trusts the system's
// roots plus t.CACert.
func (t TLS) HTTPClient() (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // G402: only with --insecure-skip-tls-verify
	if len(t.CACert) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(t.CACert) {
			return nil, errors.New("the object store's CA certificate holds no PEM certificate")
		}
		cfg.RootCAs = pool
	}
	tr.TLSClientConfig = cfg
	return &http.Client{Transport: tr}, nil
}

// Download asks the server for the file of target for the backup or
// restore name, and streams it, gunzipped, into w. The server has c.Wait
// to sign a URL; the object store has c.RequestTimeout to answer and to
// send each next chunk. It returns the bytes written to w.
func (c Client) Download(ctx context.Context, target Target, name string, hc *http.Client, w io.Writer) (int64, error) {
	req := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "velero.io/v1", "kind": "DownloadRequest",
		"metadata": c.requestMeta(),
		"spec":     map[string]any{"target": map[string]any{"kind": string(target), "name": name}},
	}}
	done, err := c.process(ctx, downloadRequests, req)
	if err != nil {
		return 0, err
	}
	url, _, _ := unstructured.NestedString(done.Object, "status", "downloadURL")
	if url == "" {
		return 0, fmt.Errorf("the server processed the %s request without a download URL", target)
	}
	return c.fetch(ctx, url, hc, w)
}

// fetch streams the gzipped file at url into w. The URL is a credential:
// it never appears in an error.
func (c Client) fetch(ctx context.Context, url string, hc *http.Client, w io.Writer) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	timer := idle.New(c.RequestTimeout, cancel)
	defer timer.Stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, errors.New("the server gave an invalid download URL")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, c.fetchError(ctx, timer, err)
	}
	defer func() { _ = resp.Body.Close() }()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return 0, ErrNotFound
	case resp.StatusCode != http.StatusOK:
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return 0, storeError(resp.Status, body)
	}
	gz, err := gzip.NewReader(timer.Reader(resp.Body))
	if err != nil {
		return 0, c.fetchError(ctx, timer, fmt.Errorf("reading gzip header: %w", err))
	}
	n, err := io.Copy(w, gz)
	if err != nil {
		return n, c.fetchError(ctx, timer, err)
	}
	return n, nil
}

// fetchError says why a download stopped, without its URL: a *url.Error
// prints the URL, and a pre-signed URL is a credential.
func (c Client) fetchError(ctx context.Context, timer *idle.Timer, err error) error {
	if timer.Fired() && ctx.Err() != nil {
		return fmt.Errorf("object store sent nothing for %s: %w", c.RequestTimeout, context.DeadlineExceeded)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("downloading from object storage: %w", err)
}

var (
	s3Code    = regexp.MustCompile(`<Code>([^<]{1,100})</Code>`)
	s3Message = regexp.MustCompile(`<Message>([^<]{1,300})</Message>`)
)

// storeError describes an object store's error answer by its status and
// S3 error code and message only: the rest of an S3 error (for a bad
// signature, the access key and the signature) must not be kept.
func storeError(status string, body []byte) error {
	msg := status
	if m := s3Code.FindSubmatch(body); m != nil {
		msg += ": " + string(m[1])
	}
	if m := s3Message.FindSubmatch(body); m != nil {
		msg += ": " + string(m[1])
	}
	return fmt.Errorf("object store answered %s", msg)
}
