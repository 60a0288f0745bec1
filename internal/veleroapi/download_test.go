package veleroapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write([]byte(s))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// TestFetch covers how a pre-signed URL's answer becomes a file or an
// error: gunzipped content, 404 as ErrNotFound, S3 errors reduced to their
// code and message, and never the URL (a credential) in an error.
func TestFetch(t *testing.T) {
	t.Parallel()
	const signature = "X-Amz-Signature=deadbeefcafe"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/log":
			_, _ = w.Write(gzipped(t, "line 1\nline 2\n"))
		case "/missing":
			w.WriteHeader(http.StatusNotFound)
		case "/forbidden":
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`<?xml version="1.0"?><Error><Code>SignatureDoesNotMatch</Code>` +
				`<Message>The request signature we calculated does not match</Message>` +
				`<AWSAccessKeyId>AKIAFAKEFAKEFAKE1234</AWSAccessKeyId><SignatureProvided>deadbeefcafe</SignatureProvided></Error>`))
		case "/broken":
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`<?xml version="1.0"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>`))
		case "/stall":
			_, _ = w.Write(gzipped(t, "x")[:5])
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}
	}))
	t.Cleanup(srv.Close)
	c := Client{RequestTimeout: 200 * time.Millisecond}
	fetch := func(p string) (string, error) {
		var out bytes.Buffer
		_, err := c.fetch(t.Context(), srv.URL+p+"?"+signature, srv.Client(), &out)
		return out.String(), err
	}

	got, err := fetch("/log")
	require.NoError(t, err)
	require.Equal(t, "line 1\nline 2\n", got)

	_, err = fetch("/missing")
	require.ErrorIs(t, err, ErrNotFound)

	_, err = fetch("/forbidden")
	require.EqualError(t, err, "object store answered 403 Forbidden: SignatureDoesNotMatch: The request signature we calculated does not match")

	_, err = fetch("/broken")
	require.EqualError(t, err, "object store answered 500 Internal Server Error: InternalError: We encountered an internal error. Please try again.")

	_, err = fetch("/stall")
	require.ErrorIs(t, err, context.DeadlineExceeded)

	srv.Close()
	_, err = fetch("/log")
	require.Error(t, err)
	require.NotContains(t, err.Error(), signature, "the URL is not in the error")
}

func TestHTTPClientCACert(t *testing.T) {
	t.Parallel()
	_, err := TLS{CACert: []byte("not a certificate")}.HTTPClient()
	require.ErrorContains(t, err, "holds no PEM certificate")
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(gzipped(t, "ok"))
	}))
	t.Cleanup(srv.Close)
	c := Client{RequestTimeout: 5 * time.Second}
	var out bytes.Buffer

	untrusted, err := TLS{}.HTTPClient()
	require.NoError(t, err)
	_, err = c.fetch(t.Context(), srv.URL, untrusted, &out)
	require.ErrorContains(t, err, "certificate")

	trusted, err := TLS{CACert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})}.HTTPClient()
	require.NoError(t, err)
	_, err = c.fetch(t.Context(), srv.URL, trusted, &out)
	require.NoError(t, err, "the location's CA is trusted")

	insecure, err := TLS{InsecureSkipVerify: true}.HTTPClient()
	require.NoError(t, err)
	_, err = c.fetch(t.Context(), srv.URL, insecure, &out)
	require.NoError(t, err)
	require.Equal(t, "okok", out.String())
}
