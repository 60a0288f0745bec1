package redact

import (
	"testing"
)

func TestFieldsByName(t *testing.T) {
	t.Parallel()
	runCases(t, Default(), []redactCase{
		{"logfmt", `level=info msg="connecting" password=hunter2 user=velero`, `level=info msg="connecting" password=[REDACTED:password-field] user=velero`, one(rulePassword)},
		{"logfmt quoted", `level=info password="x \"y\" z" next=1`, `level=info password="[REDACTED:password-field]" next=1`, one(rulePassword)},
		{"logfmt escaped json inside", `error="bad request {\"password\":\"hunter2\",\"user\":\"v\"}"`, `error="bad request {\"password\":\"[REDACTED:password-field]\",\"user\":\"v\"}"`, one(rulePassword)},
		{"json fields", `{"password":"xyz","token": "tK9fz2Lq81xW", "secretKey":"s", "passwd":"p", "enabled": true, "apiKey": 12345, "client_secret": "c"}`,
			`{"password":"[REDACTED:password-field]","token": "[REDACTED:token-field]", "secretKey":"[REDACTED:aws-secret-key]", "passwd":"[REDACTED:password-field]", "enabled": true, "apiKey": "[REDACTED:secret-field]", "client_secret": "[REDACTED:secret-field]"}`,
			map[string]int{rulePassword: 2, ruleToken: 1, ruleSecret: 2, ruleAWSSecret: 1}},
		{"json escapes", `{"password":"a\"b\\","n":1}`, `{"password":"[REDACTED:password-field]","n":1}`, one(rulePassword)},
		{"indented json", "{\n    \"api_key\": \"abc\",\n    \"x\": 1\n}\n", "{\n    \"api_key\": \"[REDACTED:secret-field]\",\n    \"x\": 1\n}\n", one(ruleSecret)},
		{"yaml", "spec:\n  password: xyz # set by hand\n  passphrase: 'it''s'\n  token: \"tK9fz2Lq81xW\"\n",
			"spec:\n  password: \"[REDACTED:password-field]\"\n  passphrase: '[REDACTED:password-field]'\n  token: \"[REDACTED:token-field]\"\n", map[string]int{rulePassword: 2, ruleToken: 1}},
		{"yaml list item", "- password: xyz\n", "- password: \"[REDACTED:password-field]\"\n", one(rulePassword)},
		{"yaml block scalar", "stringData:\n  credentials: |\n    [default]\n    key=value\n  other: x\n",
			"stringData:\n  credentials: |\n    [REDACTED:secret-field]\n  other: x\n", one(ruleSecret)},
		{"describe env", "    Environment:\n      DB_PASSWORD:  hunter2\n      DB_USER:      velero\n",
			"    Environment:\n      DB_PASSWORD:  \"[REDACTED:password-field]\"\n      DB_USER:      velero\n", one(rulePassword)},
		{"http header", "X-Auth-Token: Xq7Lm29PzRt4\n", "X-Auth-Token: \"[REDACTED:token-field]\"\n", one(ruleToken)},
		{"flags", "velero --password=xyz --token tK9fz2Lq81xW --api-key 'a b' --verbose", "velero --password=[REDACTED:password-field] --token [REDACTED:token-field] --api-key '[REDACTED:secret-field]' --verbose",
			map[string]int{rulePassword: 1, ruleToken: 1, ruleSecret: 1}},
		{"flags in json args", `"args":["server","--password","xyz","--token=tK9fz2Lq81xW"]`, `"args":["server","--password","[REDACTED:password-field]","--token=[REDACTED:token-field]"]`,
			map[string]int{rulePassword: 1, ruleToken: 1}},
		{"flags in yaml args", "    args:\n    - --password\n    - xyz\n    - --verbose\n", "    args:\n    - --password\n    - \"[REDACTED:password-field]\"\n    - --verbose\n", one(rulePassword)},
		{"env var json", `{"name":"DB_PASSWORD","value":"xyz"},{"name":"MY_TOKEN","value":"tK9fz2Lq81xW"}`, `{"name":"DB_PASSWORD","value":"[REDACTED:password-field]"},{"name":"MY_TOKEN","value":"[REDACTED:token-field]"}`,
			map[string]int{rulePassword: 1, ruleToken: 1}},
		{"env var indented json", "        {\n            \"name\": \"DB_PASSWORD\",\n            \"value\": \"xyz\"\n        },\n",
			"        {\n            \"name\": \"DB_PASSWORD\",\n            \"value\": \"[REDACTED:password-field]\"\n        },\n", one(rulePassword)},
		{"env var yaml", "    env:\n    - name: DB_PASSWORD\n      value: xyz\n    - name: DB_HOST\n      value: db\n",
			"    env:\n    - name: DB_PASSWORD\n      value: \"[REDACTED:password-field]\"\n    - name: DB_HOST\n      value: db\n", one(rulePassword)},
		{"credentials", `{"credentials":"c2VjcmV0","AZURE_CLIENT_SECRET":"x"}`, `{"credentials":"[REDACTED:secret-field]","AZURE_CLIENT_SECRET":"[REDACTED:secret-field]"}`, map[string]int{ruleSecret: 2}},
		{"after a quoted message", `msg="Azure credentials loaded" client_secret=vdbg~GUpawWw0d2vUgePJTBpohyjv1SrGEgTm9a x=1`,
			`msg="Azure credentials loaded" client_secret=[REDACTED:secret-field] x=1`, one(ruleSecret)},
		{"a name ending a quoted message", `msg="db.password =" logSource="pkg/x.go:1"`, `msg="db.password =" logSource="pkg/x.go:1"`, nil},
		{"authorization", `authorization=abc authToken=def`, `authorization=[REDACTED:secret-field] authToken=[REDACTED:token-field]`, map[string]int{ruleSecret: 1, ruleToken: 1}},
		{"connection string password", "Server=db;User Id=v;Password=p@ss;Database=x", "Server=db;User Id=v;Password=[REDACTED:password-field];Database=x", one(rulePassword)},
		{"already redacted", `password=[REDACTED:password-field] "token": "[REDACTED:token-field]"`, `password=[REDACTED:password-field] "token": "[REDACTED:token-field]"`, nil},
	})
}

func TestRepositoryPasswords(t *testing.T) {
	t.Parallel()
	runCases(t, Default(), []redactCase{
		{"env", "RESTIC_PASSWORD=abc KOPIA_PASSWORD=\"d e\"", "RESTIC_PASSWORD=[REDACTED:repository-password] KOPIA_PASSWORD=\"[REDACTED:repository-password]\"", map[string]int{ruleRepository: 2}},
		{"secret data", `{"data":{"repository-password":"c3RhdGljLXBhc3N3MHJk"},"kind":"Secret"}`, `{"data":{"repository-password":"[REDACTED:repository-password]"},"kind":"Secret"}`, one(ruleRepository)},
		{"kopia flag", "kopia repository connect s3 --bucket=b --password=xyz", "kopia repository connect s3 --bucket=b --password=[REDACTED:password-field]", one(rulePassword)},
		{"restic env var", `{"name":"RESTIC_PASSWORD","value":"static-passw0rd"}`, `{"name":"RESTIC_PASSWORD","value":"[REDACTED:repository-password]"}`, one(ruleRepository)},
	})
}

func TestLastAppliedConfiguration(t *testing.T) {
	t.Parallel()
	const applied = `{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"stringData\":{\"cloud\":\"[default]\\naws_secret_access_key=x\"}}\n`
	runCases(t, Default(), []redactCase{
		{"json", `{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"` + applied + `","other":"x"},"name":"n"}}`,
			`{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"[REDACTED:last-applied-configuration]","other":"x"},"name":"n"}}`, one(ruleLastApplied)},
		{"indented json", "    \"annotations\": {\n        \"kubectl.kubernetes.io/last-applied-configuration\": \"" + applied + "\"\n    },\n",
			"    \"annotations\": {\n        \"kubectl.kubernetes.io/last-applied-configuration\": \"[REDACTED:last-applied-configuration]\"\n    },\n", one(ruleLastApplied)},
		{"yaml block", "  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: |\n      {\"apiVersion\":\"v1\",\"data\":{\"password\":\"x\"}}\n\n      more\n    other: x\n  name: n\n",
			"  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: |\n      [REDACTED:last-applied-configuration]\n\n    other: x\n  name: n\n", one(ruleLastApplied)},
		{"yaml inline", "    kubectl.kubernetes.io/last-applied-configuration: '{\"a\":1}'\n", "    kubectl.kubernetes.io/last-applied-configuration: '[REDACTED:last-applied-configuration]'\n", one(ruleLastApplied)},
		{"describe", "Annotations:  kubectl.kubernetes.io/last-applied-configuration:\n                {\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\"}\n              team: storage\nStatus:  Running\n",
			"Annotations:  kubectl.kubernetes.io/last-applied-configuration:\n                [REDACTED:last-applied-configuration]\n              team: storage\nStatus:  Running\n", one(ruleLastApplied)},
		{"managed fields survive", `{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}}}}`,
			`{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}}}}`, nil},
	})
}
