package crashd

import (
	"errors"
	"strings"
)

// SplitCommand splits a command line into the program and its arguments,
// without a shell: words are separated by spaces, tabs and newlines;
// 'single quotes' keep everything literally; "double quotes" keep
// everything but \" and \\, which stand for " and \; outside quotes, a
// backslash keeps the next character literally. Nothing else is special:
// no $VAR expansion, globbing, pipes or redirections.
func SplitCommand(cmd string) ([]string, error) {
	var (
		words   []string
		cur     strings.Builder
		inWord  bool
		quote   rune
		escaped bool
	)
	for _, c := range cmd {
		switch {
		case escaped:
			if quote == '"' && c != '"' && c != '\\' {
				cur.WriteRune('\\')
			}
			cur.WriteRune(c)
			escaped = false
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteRune(c)
			}
		case quote == '"':
			switch c {
			case '"':
				quote = 0
			case '\\':
				escaped = true
			default:
				cur.WriteRune(c)
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == '\\':
			escaped, inWord = true, true
		default:
			cur.WriteRune(c)
			inWord = true
		}
	}
	switch {
	case quote != 0:
		return nil, errors.New("a quote is not closed")
	case escaped:
		return nil, errors.New("it ends with a backslash")
	case inWord:
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return nil, errors.New("it is empty")
	}
	return words, nil
}
