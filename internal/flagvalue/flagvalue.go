// Package flagvalue holds the command line's own value types and explains
// a flag error the way a user can act on: durations that take days (7d),
// sizes with units (10MiB, 25MB), and, for a flag that does not exist, the
// flags it was probably meant to be.
package flagvalue

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/velero-debug/velero-debug/internal/suggest"
)

// Duration is a time.Duration flag that also takes days: "7d", "1d12h",
// "1.5d", besides what time.ParseDuration takes ("90s", "2h30m").
type Duration struct{ d *time.Duration }

// NewDuration returns a Duration that sets *d.
func NewDuration(d *time.Duration) *Duration { return &Duration{d: d} }

var days = regexp.MustCompile(`^(\d+(?:\.\d+)?)d(.*)$`)

// Set parses s.
func (v *Duration) Set(s string) error {
	d, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*v.d = d
	return nil
}

// ParseDuration parses a duration that may start with a number of days. A
// negative one ("-1h") is a duration: the flag's own check says what it
// must be.
func ParseDuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("not a duration: use a number and a unit, such as 90s, 30m, 2h, 1h30m or 7d")
	var total time.Duration
	rest := strings.TrimSpace(s)
	if m := days.FindStringSubmatch(rest); m != nil {
		// As hours, exactly: 0.3d is 7h12m, not a float's 7h11m59.99s.
		hours, err := time.ParseDuration(m[1] + "h")
		if err != nil || hours > math.MaxInt64/24 {
			return 0, bad
		}
		total, rest = hours*24, m[2]
		if rest == "" {
			return total, nil
		}
	}
	d, err := time.ParseDuration(rest)
	if err != nil || total > 0 && (d < 0 || d > math.MaxInt64-total) {
		return 0, bad
	}
	return total + d, nil
}

// String is the duration as time.Duration prints it, but 0 for none (so
// that help does not show a default of none).
func (v *Duration) String() string {
	if v.d == nil || *v.d == 0 {
		return "0"
	}
	return v.d.String()
}

// Type names the value in help.
func (*Duration) Type() string { return "duration" }

// Bytes is a size flag, in bytes: a whole number, or one with a unit
// (KiB, MiB, GiB, KB, MB, GB, or Kubernetes' Ki, Mi, Gi, K, M, G).
type Bytes struct{ n *int64 }

// NewBytes returns a Bytes that sets *n.
func NewBytes(n *int64) *Bytes { return &Bytes{n: n} }

var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9,
	"ki": 1 << 10, "kib": 1 << 10, "mi": 1 << 20, "mib": 1 << 20, "gi": 1 << 30, "gib": 1 << 30,
}

var size = regexp.MustCompile(`^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$`)

// ParseBytes parses a size.
func ParseBytes(s string) (int64, error) {
	bad := fmt.Errorf("not a size: use a number of bytes, or one with a unit, such as 500KiB, 10MiB, 25MB or 1GiB")
	m := size.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, bad
	}
	unit, ok := sizeUnits[strings.ToLower(m[2])]
	if !ok {
		return 0, bad
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil || n*unit >= math.MaxInt64 || n*unit != math.Trunc(n*unit) {
		return 0, bad // too large, or a fraction of a byte
	}
	return int64(n * unit), nil
}

// Set parses s.
func (v *Bytes) Set(s string) error {
	n, err := ParseBytes(s)
	if err != nil {
		return err
	}
	*v.n = n
	return nil
}

// String is the size in bytes.
func (v *Bytes) String() string {
	if v.n == nil {
		return "0"
	}
	return strconv.FormatInt(*v.n, 10)
}

// Type names the value in help.
func (*Bytes) Type() string { return "size" }

// Explain rewrites an error of parsing fs's flags for the user: the flag
// named as it is typed, what its value must be, and for a flag that does
// not exist the flags it was probably meant to be.
func Explain(fs *pflag.FlagSet, err error) error {
	var missing *pflag.NotExistError
	var invalid *pflag.InvalidValueError
	switch {
	case errors.As(err, &missing):
		name := missing.GetSpecifiedName()
		if short := missing.GetSpecifiedShortnames(); short != "" {
			if short == name {
				return fmt.Errorf("unknown flag -%s (--help lists them)", name)
			}
			return fmt.Errorf("unknown flag -%s in -%s (--help lists them)", name, short)
		}
		var names []string
		fs.VisitAll(func(f *pflag.Flag) {
			if !f.Hidden {
				names = append(names, f.Name)
			}
		})
		if s := suggest.Names(name, names); len(s) > 0 {
			return fmt.Errorf("unknown flag --%s: did you mean --%s?", name, strings.Join(s, " or --"))
		}
		return fmt.Errorf("unknown flag --%s (--help lists them)", name)
	case errors.As(err, &invalid):
		reason := invalid.Unwrap()
		var num *strconv.NumError
		if errors.As(reason, &num) {
			switch typ := invalid.GetFlag().Value.Type(); {
			case typ == "bool":
				reason = errors.New("not true or false")
			case errors.Is(num.Err, strconv.ErrRange):
				reason = errors.New("out of range")
			case strings.HasPrefix(typ, "int") || strings.HasPrefix(typ, "uint"):
				reason = errors.New("not a whole number")
			}
		}
		return fmt.Errorf("invalid value %q for --%s: %w", invalid.GetValue(), invalid.GetFlag().Name, reason)
	}
	return err
}
