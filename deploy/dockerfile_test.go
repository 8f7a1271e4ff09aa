package deploy_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// instruction is one Dockerfile instruction with its line continuations
// joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, …
	args string
}

func parseDockerfile(t *testing.T) []instruction {
	t.Helper()
	var out []instruction
	var cur strings.Builder
	for _, line := range strings.Split(readFile(t, "Dockerfile"), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if cur.Len() > 0 && strings.HasPrefix(trimmed, "#") {
			continue // comment inside a continued instruction
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)})
		cur.Reset()
	}
	require.Zero(t, cur.Len(), "Dockerfile ends inside a continued line")
	return out
}

// stages splits the instructions at each FROM.
func stages(ins []instruction) [][]instruction {
	var out [][]instruction
	for _, in := range ins {
		if in.cmd == "FROM" {
			out = append(out, nil)
		}
		if len(out) > 0 {
			out[len(out)-1] = append(out[len(out)-1], in)
		}
	}
	return out
}

func TestDockerfileBuildsAStaticNonRootRipen(t *testing.T) {
	ins := parseDockerfile(t)
	st := stages(ins)
	require.Len(t, st, 2, "a build stage and a runtime stage")
	build, runtime := st[0], st[1]

	// The Go version is go.mod's.
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(readFile(t, "go.mod"))
	require.NotNil(t, goVersion)
	require.Equal(t, instruction{"ARG", "GO_VERSION=" + goVersion[1]}, ins[0], "the first line pins the Go version from go.mod")
	require.Regexp(t, `^--platform=\$BUILDPLATFORM golang:\$\{GO_VERSION\}\S* AS build$`, build[0].args)

	var buildRun string
	for _, in := range build {
		if in.cmd == "ENV" {
			require.Contains(t, in.args, "CGO_ENABLED=0")
		}
		if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
			buildRun = in.args
		}
	}
	require.NotEmpty(t, buildRun, "the build stage runs go build")
	require.Contains(t, buildRun, "--mount=type=cache,target=/go/pkg/mod")
	require.Contains(t, buildRun, "--mount=type=cache,target=/root/.cache/go-build")
	require.Regexp(t, `go build .* -o /out/ripen \./cmd/ripen$`, buildRun)
	require.Contains(t, buildRun, "-tags timetzdata", "contacts' time zones must resolve without OS tzdata")
	require.NotContains(t, strings.Join(argsOf(ins), "\n"), "ripen-dev", "the image never builds the dev stack")

	require.Regexp(t, `^gcr\.io/distroless/static-debian\d+:nonroot$`, runtime[0].args)
	var user, entrypoint string
	var copied bool
	for _, in := range runtime {
		switch in.cmd {
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			entrypoint = in.args
		case "COPY":
			copied = copied || in.args == "--from=build /out/ripen /usr/local/bin/ripen"
		case "RUN":
			t.Errorf("the runtime stage has no shell: RUN %s", in.args)
		}
	}
	require.True(t, copied, "the runtime stage copies only the binary")
	require.Regexp(t, `^[1-9]\d*:[1-9]\d*$`, user, "a numeric non-root user, so runAsNonRoot can verify it")
	require.Equal(t, "65532:65532", user, "the user Kubernetes manifests run as")
	require.Equal(t, `["/usr/local/bin/ripen"]`, entrypoint)
}

func argsOf(ins []instruction) []string {
	var out []string
	for _, in := range ins {
		out = append(out, in.args)
	}
	return out
}

// dockerignore is a small reader of .dockerignore: patterns relative to the
// context root, path.Match per segment, "**" for any number of segments.
// Exceptions ("!") are refused so this reader stays exact.
type dockerignore []string

func readDockerignore(t *testing.T) dockerignore {
	t.Helper()
	var pats dockerignore
	for _, line := range strings.Split(readFile(t, ".dockerignore"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		require.False(t, strings.HasPrefix(line, "!"), ".dockerignore exceptions are not supported by this test: %s", line)
		pats = append(pats, strings.Trim(path.Clean(line), "/"))
	}
	return pats
}

// ignores says whether rel (slash-separated, relative to the root) or one
// of its parent directories is excluded.
func (d dockerignore) ignores(rel string) bool {
	segs := strings.Split(rel, "/")
	for i := 1; i <= len(segs); i++ {
		for _, p := range d {
			if matchSegments(strings.Split(p, "/"), segs[:i]) {
				return true
			}
		}
	}
	return false
}

func matchSegments(pat, segs []string) bool {
	if len(pat) == 0 {
		return len(segs) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(segs); i++ {
			if matchSegments(pat[1:], segs[i:]) {
				return true
			}
		}
		return false
	}
	if len(segs) == 0 {
		return false
	}
	ok, err := path.Match(pat[0], segs[0])
	return err == nil && ok && matchSegments(pat[1:], segs[1:])
}

func TestDockerignoreKeepsEverythingTheBinaryNeeds(t *testing.T) {
	ign := readDockerignore(t)
	for _, must := range []string{".git", ".ripen", "data/.ripen/temporal.sqlite", "e2e", ".env"} {
		require.True(t, ign.ignores(must), "%s stays out of the build context", must)
	}
	for _, keep := range []string{"go.mod", "go.sum"} {
		require.False(t, ign.ignores(keep), "%s is needed to build", keep)
	}

	// Every file of every ripen package cmd/ripen is built from, embedded
	// files included, must reach the build context.
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Dir,Module,GoFiles,EmbedFiles", "./cmd/ripen")
	cmd.Dir = root
	out, err := cmd.Output()
	require.NoError(t, err)
	abs, err := filepath.Abs(root)
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(out))
	checked := 0
	for dec.More() {
		var pkg struct {
			ImportPath string
			Dir        string
			Module     *struct{ Path string }
			GoFiles    []string
			EmbedFiles []string
		}
		require.NoError(t, dec.Decode(&pkg))
		if pkg.Module == nil || pkg.Module.Path != "github.com/ripen/ripen" {
			continue
		}
		rel, err := filepath.Rel(abs, pkg.Dir)
		require.NoError(t, err)
		for _, f := range append(pkg.GoFiles, pkg.EmbedFiles...) {
			file := filepath.ToSlash(filepath.Join(rel, f))
			require.False(t, ign.ignores(file), ".dockerignore excludes %s, which %s needs", file, pkg.ImportPath)
			checked++
		}
	}
	require.Greater(t, checked, 20, "go list found ripen's packages")
}

func TestDockerignoreReader(t *testing.T) {
	d := dockerignore{"**/testdata", "*.log", "deploy", "a/*/c"}
	for rel, want := range map[string]bool{
		"workflows/testdata/x.json": true, "testdata": true, "x.log": true, "api/x.log": false,
		"deploy/kubernetes/api.yaml": true, "deployer/x.go": false, "a/b/c/d": true, "a/b/d": false,
	} {
		require.Equal(t, want, d.ignores(rel), rel)
	}
}
