package serve

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/client-go/util/jsonpath"
)

// wantsTable reports whether the client asks for a Table, as kubectl get
// does.
func wantsTable(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "as=Table")
}

// column is a column of a Table and how to fill its cells.
type column struct {
	def  metav1.TableColumnDefinition
	cell func(m map[string]any) any
}

func col(name, typ string, priority int32, cell func(m map[string]any) any) column {
	return column{def: metav1.TableColumnDefinition{Name: name, Type: typ, Priority: priority}, cell: cell}
}

// table answers objs as a Table, with the columns a real API server
// prints for them: a CRD's additionalPrinterColumns, the usual columns of
// pods, nodes, events and workloads, else name and age. Ages are as of the
// bundle's collection.
//
// The Table is written a row at a time: a list of tens of thousands of
// objects is never held whole, as JSON or decoded.
func (a *api) table(w http.ResponseWriter, r *http.Request, res *resource, objs []object) {
	cols := a.columns(res)
	defs := make([]metav1.TableColumnDefinition, 0, len(cols))
	for _, c := range cols {
		defs = append(defs, c.def)
	}
	head, err := json.Marshal(defs)
	if err != nil {
		writeStatus(w, apierrors.NewInternalError(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	bw := bufio.NewWriterSize(w, 64<<10)
	fmt.Fprintf(bw, `{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"1"},"columnDefinitions":%s,"rows":[`, head)
	include := r.URL.Query().Get("includeObject")
	first := true
	for _, o := range objs {
		var m map[string]any
		if json.Unmarshal(o.raw, &m) != nil {
			continue
		}
		row := metav1.TableRow{Object: rawObject(o, include)}
		for _, c := range cols {
			row.Cells = append(row.Cells, c.cell(m))
		}
		data, err := json.Marshal(&row)
		if err != nil {
			continue
		}
		if !first {
			_ = bw.WriteByte(',')
		}
		first = false
		if _, err := bw.Write(data); err != nil {
			return // the client left
		}
	}
	_, _ = bw.WriteString("]}\n")
	_ = bw.Flush()
}

// columns are the columns of res's Table.
func (a *api) columns(res *resource) []column {
	name := col("Name", "string", 0, func(m map[string]any) any { return str(m, "metadata", "name") })
	name.def.Format = "name"
	age := col("Age", "string", 0, func(m map[string]any) any { return a.age(str(m, "metadata", "creationTimestamp")) })
	if info, ok := a.s.crds[res.gvr]; ok && len(info.columns) > 0 {
		cols := []column{name}
		for _, pc := range info.columns {
			cols = append(cols, a.printerColumn(pc))
		}
		return cols
	}
	if res.gvr.Group == "" || res.gvr.Group == "apps" || res.gvr.Group == "batch" || res.gvr.Group == "storage.k8s.io" {
		if build, ok := builtinColumns[res.gvr.Resource]; ok {
			return build(name, age, a)
		}
	}
	return []column{name, age}
}

// printerColumn evaluates a CRD's printer column as the API server does:
// its JSONPath, dates as ages.
func (a *api) printerColumn(pc printerColumn) column {
	jp := jsonpath.New(pc.Name).AllowMissingKeys(true)
	parseErr := jp.Parse(fmt.Sprintf("{%s}", pc.JSONPath))
	if strings.Contains(pc.JSONPath, "..") {
		// Recursive descent: what a bundle's CRD asks may cost the cube
		// of an object's depth per row. Velero's columns are simple paths.
		parseErr = fmt.Errorf("recursive descent in %q is not evaluated", pc.JSONPath)
	}
	c := col(pc.Name, pc.Type, pc.Priority, func(m map[string]any) any {
		if parseErr != nil {
			return "<error>"
		}
		results, err := jp.FindResults(m)
		if err != nil || len(results) == 0 || len(results[0]) == 0 {
			return nil
		}
		v := results[0][0].Interface()
		if pc.Type == "date" {
			if s, ok := v.(string); ok {
				return a.age(s)
			}
		}
		if pc.Type == "string" {
			if _, ok := v.(string); !ok {
				var b bytes.Buffer
				_ = json.NewEncoder(&b).Encode(v)
				return strings.TrimSpace(b.String())
			}
		}
		return v
	})
	c.def.Description, c.def.Format = pc.Description, pc.Format
	if pc.Type == "date" {
		c.def.Type = "string"
	}
	return c
}

// age is the age of an object made at ts when the bundle was collected.
func (a *api) age(ts string) string {
	t, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		return "<unknown>"
	}
	now := a.s.manifest.Started
	if now.IsZero() {
		now = time.Now()
	}
	return duration.HumanDuration(now.Sub(t))
}

// builtinColumns are the usual columns of the built-in kinds the bundle
// holds, as kubectl shows them from a real API server.
var builtinColumns = map[string]func(name, age column, a *api) []column{
	"pods": func(name, age column, _ *api) []column {
		return []column{name,
			col("Ready", "string", 0, podReady),
			col("Status", "string", 0, podStatus),
			col("Restarts", "string", 0, podRestarts),
			age,
			col("IP", "string", 1, func(m map[string]any) any { return orNone(str(m, "status", "podIP")) }),
			col("Node", "string", 1, func(m map[string]any) any { return orNone(str(m, "spec", "nodeName")) }),
		}
	},
	"nodes": func(name, age column, _ *api) []column {
		return []column{name,
			col("Status", "string", 0, nodeStatus),
			col("Roles", "string", 0, nodeRoles),
			age,
			col("Version", "string", 0, func(m map[string]any) any { return str(m, "status", "nodeInfo", "kubeletVersion") }),
		}
	},
	"events": func(_, _ column, a *api) []column {
		return []column{
			col("Last Seen", "string", 0, func(m map[string]any) any {
				if ts := str(m, "lastTimestamp"); ts != "" {
					return a.age(ts)
				}
				return a.age(str(m, "eventTime"))
			}),
			col("Type", "string", 0, func(m map[string]any) any { return str(m, "type") }),
			col("Reason", "string", 0, func(m map[string]any) any { return str(m, "reason") }),
			col("Object", "string", 0, func(m map[string]any) any {
				return strings.ToLower(str(m, "involvedObject", "kind")) + "/" + str(m, "involvedObject", "name")
			}),
			col("Message", "string", 0, func(m map[string]any) any { return strings.TrimSpace(str(m, "message")) }),
		}
	},
	"deployments": func(name, age column, _ *api) []column {
		return []column{name,
			col("Ready", "string", 0, func(m map[string]any) any {
				return fmt.Sprintf("%d/%d", num(m, "status", "readyReplicas"), num(m, "spec", "replicas"))
			}),
			col("Up-to-date", "integer", 0, func(m map[string]any) any { return num(m, "status", "updatedReplicas") }),
			col("Available", "integer", 0, func(m map[string]any) any { return num(m, "status", "availableReplicas") }),
			age,
		}
	},
	"daemonsets": func(name, age column, _ *api) []column {
		return []column{name,
			col("Desired", "integer", 0, func(m map[string]any) any { return num(m, "status", "desiredNumberScheduled") }),
			col("Current", "integer", 0, func(m map[string]any) any { return num(m, "status", "currentNumberScheduled") }),
			col("Ready", "integer", 0, func(m map[string]any) any { return num(m, "status", "numberReady") }),
			col("Up-to-date", "integer", 0, func(m map[string]any) any { return num(m, "status", "updatedNumberScheduled") }),
			col("Available", "integer", 0, func(m map[string]any) any { return num(m, "status", "numberAvailable") }),
			age,
		}
	},
	"persistentvolumeclaims": func(name, age column, _ *api) []column {
		return []column{name,
			col("Status", "string", 0, func(m map[string]any) any { return str(m, "status", "phase") }),
			col("Volume", "string", 0, func(m map[string]any) any { return str(m, "spec", "volumeName") }),
			col("Capacity", "string", 0, func(m map[string]any) any { return str(m, "status", "capacity", "storage") }),
			col("StorageClass", "string", 0, func(m map[string]any) any { return str(m, "spec", "storageClassName") }),
			age,
		}
	},
	"replicasets": func(name, age column, _ *api) []column {
		return []column{name,
			col("Desired", "integer", 0, func(m map[string]any) any { return num(m, "spec", "replicas") }),
			col("Current", "integer", 0, func(m map[string]any) any { return num(m, "status", "replicas") }),
			col("Ready", "integer", 0, func(m map[string]any) any { return num(m, "status", "readyReplicas") }),
			age,
		}
	},
	"jobs": func(name, age column, _ *api) []column {
		return []column{name,
			col("Status", "string", 0, jobStatus),
			col("Completions", "string", 0, func(m map[string]any) any {
				return fmt.Sprintf("%d/%d", num(m, "status", "succeeded"), max(num(m, "spec", "completions"), 1))
			}),
			age,
		}
	},
	"services": func(name, age column, _ *api) []column {
		return []column{name,
			col("Type", "string", 0, func(m map[string]any) any { return str(m, "spec", "type") }),
			col("Cluster-IP", "string", 0, func(m map[string]any) any { return orNone(str(m, "spec", "clusterIP")) }),
			col("Port(s)", "string", 0, func(m map[string]any) any {
				var ports []string
				for _, p := range list(m, "spec", "ports") {
					ports = append(ports, fmt.Sprintf("%d/%s", num(p, "port"), str(p, "protocol")))
				}
				return orNone(strings.Join(ports, ","))
			}),
			age,
		}
	},
	"persistentvolumes": func(name, age column, _ *api) []column {
		return []column{name,
			col("Capacity", "string", 0, func(m map[string]any) any { return str(m, "spec", "capacity", "storage") }),
			col("Reclaim Policy", "string", 0, func(m map[string]any) any { return str(m, "spec", "persistentVolumeReclaimPolicy") }),
			col("Status", "string", 0, func(m map[string]any) any { return str(m, "status", "phase") }),
			col("Claim", "string", 0, func(m map[string]any) any {
				if n := str(m, "spec", "claimRef", "name"); n != "" {
					return str(m, "spec", "claimRef", "namespace") + "/" + n
				}
				return ""
			}),
			col("StorageClass", "string", 0, func(m map[string]any) any { return str(m, "spec", "storageClassName") }),
			age,
		}
	},
	"storageclasses": func(name, age column, _ *api) []column {
		return []column{name,
			col("Provisioner", "string", 0, func(m map[string]any) any { return str(m, "provisioner") }),
			col("ReclaimPolicy", "string", 0, func(m map[string]any) any { return str(m, "reclaimPolicy") }),
			col("VolumeBindingMode", "string", 0, func(m map[string]any) any { return str(m, "volumeBindingMode") }),
			age,
		}
	},
	"namespaces": func(name, _ column, _ *api) []column {
		return []column{name, col("Status", "string", 0, func(m map[string]any) any { return str(m, "status", "phase") })}
	},
	"configmaps": func(name, age column, _ *api) []column {
		return []column{name,
			col("Data", "integer", 0, func(m map[string]any) any {
				d, _ := m["data"].(map[string]any)
				b, _ := m["binaryData"].(map[string]any)
				return int64(len(d) + len(b))
			}),
			age,
		}
	},
}

// podReady is the Ready column of a pod: ready containers of all.
func podReady(m map[string]any) any {
	statuses := list(m, "status", "containerStatuses")
	ready := 0
	for _, s := range statuses {
		if r, _ := s["ready"].(bool); r {
			ready++
		}
	}
	total := len(list(m, "spec", "containers"))
	return fmt.Sprintf("%d/%d", ready, total)
}

// podStatus is the Status column of a pod, as kubectl prints it: the
// reason a container waits or ended, else the pod's reason or phase.
func podStatus(m map[string]any) any {
	if str(m, "metadata", "deletionTimestamp") != "" {
		return "Terminating"
	}
	status := str(m, "status", "phase")
	if r := str(m, "status", "reason"); r != "" {
		status = r
	}
	for _, s := range list(m, "status", "containerStatuses") {
		if r := str(s, "state", "waiting", "reason"); r != "" {
			status = r
		} else if r := str(s, "state", "terminated", "reason"); r != "" {
			status = r
		}
	}
	return status
}

// podRestarts is the Restarts column of a pod.
func podRestarts(m map[string]any) any {
	var n int64
	for _, s := range list(m, "status", "containerStatuses") {
		n += num(s, "restartCount")
	}
	return fmt.Sprint(n)
}

// jobStatus is the Status column of a job: its Complete or Failed
// condition, else Running.
func jobStatus(m map[string]any) any {
	for _, c := range list(m, "status", "conditions") {
		if str(c, "status") == "True" && (str(c, "type") == "Complete" || str(c, "type") == "Failed") {
			return str(c, "type")
		}
	}
	return "Running"
}

func nodeStatus(m map[string]any) any {
	for _, c := range list(m, "status", "conditions") {
		if str(c, "type") == "Ready" {
			if str(c, "status") == "True" {
				return "Ready"
			}
			return "NotReady"
		}
	}
	return "Unknown"
}

func nodeRoles(m map[string]any) any {
	var roles []string
	labels, _ := mapAt(m, "metadata", "labels")
	for k := range labels {
		if r, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && r != "" {
			roles = append(roles, r)
		}
	}
	if len(roles) == 0 {
		return "<none>"
	}
	return strings.Join(slices.Sorted(maps.Keys(setOf(roles))), ",")
}

func setOf(xs []string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// mapAt is the object at path of m.
func mapAt(m map[string]any, path ...string) (map[string]any, bool) {
	var v any = m
	for _, k := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		v = mm[k]
	}
	mm, ok := v.(map[string]any)
	return mm, ok
}

// str is the string at path of m; "" when it is missing.
func str(m map[string]any, path ...string) string {
	parent, ok := mapAt(m, path[:len(path)-1]...)
	if !ok {
		return ""
	}
	s, _ := parent[path[len(path)-1]].(string)
	return s
}

// num is the number at path of m; 0 when it is missing.
func num(m map[string]any, path ...string) int64 {
	parent, ok := mapAt(m, path[:len(path)-1]...)
	if !ok {
		return 0
	}
	f, _ := parent[path[len(path)-1]].(float64)
	return int64(f)
}

// list is the list of objects at path of m.
func list(m map[string]any, path ...string) []map[string]any {
	parent, ok := mapAt(m, path[:len(path)-1]...)
	if !ok {
		return nil
	}
	items, _ := parent[path[len(path)-1]].([]any)
	var out []map[string]any
	for _, it := range items {
		if mm, ok := it.(map[string]any); ok {
			out = append(out, mm)
		}
	}
	return out
}
