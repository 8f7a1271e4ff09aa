package console

import (
	"context"
	"fmt"
	"strings"

	"github.com/ripen/ripen/fault"
)

// DiffLine is one line of a diff between two versions' sources: Op is
// ' ' (in both), '-' (only in the older) or '+' (only in the newer); Old
// and New are its line numbers in each (0 where it is not).
type DiffLine struct {
	Op       byte
	Text     string
	Old, New int
}

// VersionDiff is the difference between two versions of a journey.
type VersionDiff struct {
	ID, Name string
	From, To int
	Lines    []DiffLine
	// Same: the two sources are equal line by line.
	Same bool
}

// maxDiffLines bounds the sources a diff compares (the table is their
// product); a journey is a few hundred lines at most.
const maxDiffLines = 4000

// Diff compares the sources of two versions of a journey, line by line
// (from the older to the newer as given). An unknown journey or version is
// NotFound.
func (s *Service) Diff(ctx context.Context, sess Session, id string, from, to int) (VersionDiff, error) {
	if err := sess.need(AreaJourneys); err != nil {
		return VersionDiff{}, err
	}
	versions, err := s.journeys.Versions(ctx, id)
	if err != nil {
		return VersionDiff{}, err
	}
	sources := map[int]string{}
	d := VersionDiff{ID: id, From: from, To: to}
	for _, v := range versions {
		src := v.Source
		if src == "" {
			src = string(v.JourneyVersion.Definition)
		}
		sources[v.Version] = src
		d.Name = v.Name
	}
	a, okA := sources[from]
	b, okB := sources[to]
	if !okA || !okB {
		return VersionDiff{}, fault.Newf(fault.NotFound, "journey %s has no version %d or %d", id, from, to)
	}
	al, bl := lines(a), lines(b)
	if len(al) > maxDiffLines || len(bl) > maxDiffLines {
		return VersionDiff{}, fault.InvalidField("version", fmt.Sprintf("the sources are too long to compare (more than %d lines)", maxDiffLines))
	}
	d.Lines = diffLines(al, bl)
	d.Same = true
	for _, l := range d.Lines {
		d.Same = d.Same && l.Op == ' '
	}
	return d, nil
}

func lines(s string) []string {
	s = strings.TrimSuffix(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// diffLines is the longest-common-subsequence diff of a and b: simple and
// exact for sources of a few hundred lines.
func diffLines(a, b []string) []DiffLine {
	n, m := len(a), len(b)
	// lcs[i][j] is the LCS length of a[i:] and b[j:].
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []DiffLine
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			out = append(out, DiffLine{Op: ' ', Text: a[i], Old: i + 1, New: j + 1})
			i, j = i+1, j+1
		// A removed line goes before the line that replaces it.
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, DiffLine{Op: '-', Text: a[i], Old: i + 1})
			i++
		default:
			out = append(out, DiffLine{Op: '+', Text: b[j], New: j + 1})
			j++
		}
	}
	return out
}
