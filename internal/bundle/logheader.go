package bundle

import "strings"

// An extract is a file of log lines gathered from several logs, such as
// the server-log.txt of a backup: the lines of each log follow a header
// that names it, as tail(1) names the files it follows.
const (
	headerStart = "==> "
	headerEnd   = " <=="
)

// LogHeader is the line, newline included, before the lines an extract
// took from the log at path.
func LogHeader(path string) string { return headerStart + path + headerEnd + "\n" }

// ParseLogHeader returns the log a header line of an extract names, and
// whether line (without its newline) is one.
func ParseLogHeader(line string) (string, bool) {
	if !strings.HasPrefix(line, headerStart) || !strings.HasSuffix(line, headerEnd) || len(line) < len(headerStart)+len(headerEnd)+1 {
		return "", false
	}
	return line[len(headerStart) : len(line)-len(headerEnd)], true
}
