package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// process is one server of the test cluster, run from a binary with its
// output in a log file of the cluster's folder.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error // set before done is closed
}

// startProcess runs bin with args; its stdout and stderr go to
// <dir>/<name>.log. The process gets its own process group and, on Linux, is
// killed by the kernel if the test binary dies first.
func startProcess(dir, name, bin string, args, env []string) (*process, error) {
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating log of %s: %w", name, err)
	}
	defer func() { _ = logFile.Close() }() // the child holds its own descriptor
	// Not CommandContext: a server outlives the context that starts it;
	// stop ends it, gracefully first.
	cmd := exec.Command(bin, args...) //nolint:noctx // see above
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended, with its error.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// stop ends the process group: SIGTERM, then SIGKILL after grace.
func (p *process) stop(grace time.Duration) error {
	if done, _ := p.exited(); done {
		return nil
	}
	pgid := -p.cmd.Process.Pid
	if err := syscall.Kill(pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stopping %s: %w", p.name, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
	}
	if err := syscall.Kill(pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("killing %s: %w", p.name, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", p.name, p.cmd.Process.Pid)
	}
}

// logTail returns the last bytes of the process's log, for error messages.
func (p *process) logTail() string {
	data, err := os.ReadFile(p.logPath)
	if err != nil {
		return ""
	}
	const max = 4096
	if len(data) > max {
		data = data[len(data)-max:]
	}
	return string(data)
}

// Process is a server a test started beside the cluster with
// Cluster.StartProcess.
type Process struct {
	p *process
}

// StartProcess runs bin with args (and env added to the test's) as a
// server of the cluster: its output goes to <Dir>/<name>.log, and Stop of
// the cluster stops it first, if the test has not.
func (c *Cluster) StartProcess(name, bin string, args, env []string) (*Process, error) {
	p, err := c.run(name, bin, args, env)
	if err != nil {
		return nil, err
	}
	return &Process{p: p}, nil
}

// Stop ends the process: SIGTERM, then SIGKILL after 10 seconds.
func (p *Process) Stop() error { return p.p.stop(10 * time.Second) }

// Exited reports whether the process has ended, and its error.
func (p *Process) Exited() (bool, error) { return p.p.exited() }

// LogTail is the end of the process's output, for error messages.
func (p *Process) LogTail() string { return p.p.logTail() }
