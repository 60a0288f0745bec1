package cluster

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// auditPolicy records, at the Metadata level, the requests of users that
// UserKubeconfig makes: the admin, kwok and the control plane are not
// recorded.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    userGroups: ["system:masters", "system:nodes", "system:serviceaccounts", "system:unauthenticated"]
  - level: None
    users: ["system:apiserver", "system:kube-scheduler", "system:kube-controller-manager"]
  - level: Metadata
`

// AuditEvent is one request the API server recorded.
type AuditEvent struct {
	Verb       string `json:"verb"`
	RequestURI string `json:"requestURI"`
	User       struct {
		Username string `json:"username"`
	} `json:"user"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
		APIGroup    string `json:"apiGroup"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
}

func (c *Cluster) auditArgs() ([]string, error) {
	policy := filepath.Join(c.Dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
		return nil, fmt.Errorf("writing the audit policy: %w", err)
	}
	return []string{
		"--audit-policy-file=" + policy,
		"--audit-log-path=" + c.auditLog(),
		"--audit-log-format=json",
		"--audit-log-mode=blocking",
	}, nil
}

func (c *Cluster) auditLog() string { return filepath.Join(c.Dir, "audit.log") }

// AuditEvents returns the requests the API server recorded for user (a
// user of UserKubeconfig). Events are written as requests end, before the
// response is sent.
func (c *Cluster) AuditEvents(user string) ([]AuditEvent, error) {
	f, err := os.Open(c.auditLog())
	if err != nil {
		return nil, fmt.Errorf("opening the audit log: %w", err)
	}
	defer f.Close()
	var out []AuditEvent
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var e AuditEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("reading the audit log: %w", err)
		}
		if e.User.Username == user {
			out = append(out, e)
		}
	}
	return out, sc.Err()
}
