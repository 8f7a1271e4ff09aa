package devtemporal

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/server/common/dynamicconfig"
	"gopkg.in/yaml.v3"
)

// Tuning holds the embedded server's knobs that the benchmark sweeps. The
// zero value is the server as it has always been configured here.
type Tuning struct {
	// DynamicConfig overrides or adds dynamic config keys on top of
	// DefaultDynamicConfig, e.g. "history.eventsCacheMaxSizeBytes":
	// 8388608. Keys are case-insensitive and must be registered by the
	// server; values must fit the key's type (int, float64, bool,
	// time.Duration, string, or what the server's YAML file would hold).
	DynamicConfig map[string]any
	// SQLitePragmas are run on every SQLite connection of a file database,
	// on top of DefaultSQLitePragmas, e.g. "cache_size": "-65536"
	// (negative: KiB), "busy_timeout": "5000", or "journal_mode": "delete"
	// and "synchronous": "full" for SQLite's own defaults.
	SQLitePragmas map[string]string
	// SQLiteMaxConns is the size of the connection pool (default 1).
	SQLiteMaxConns int
}

// DefaultSQLitePragmas are the pragmas of the SQLite file unless
// Tuning.SQLitePragmas says otherwise: a write-ahead log that is synced at
// checkpoints, not at every commit. With SQLite's defaults (a rollback
// journal, synchronous=full) every commit waits for two fsyncs, and the
// benchmark measured the whole stack at less than half the throughput.
// A process crash loses nothing; a power cut may lose the last commits.
func DefaultSQLitePragmas() map[string]string {
	return map[string]string{"journal_mode": "wal", "synchronous": "normal"}
}

// EffectiveSQLitePragmas are the pragmas a file database runs with.
func (t Tuning) EffectiveSQLitePragmas() map[string]string {
	out := DefaultSQLitePragmas()
	for k, v := range t.SQLitePragmas {
		out[strings.ToLower(k)] = v
	}
	return out
}

// DefaultDynamicConfig is the dynamic config the embedded server runs with
// unless Tuning.DynamicConfig says otherwise. It returns a fresh map.
func DefaultDynamicConfig() map[string]any {
	return map[string]any{
		"history.hostLevelCacheMaxSize":    8192,
		"frontend.namespaceRPS.visibility": 200,
		// Without these, a signal waits up to 50 ms for the transfer queue's poll.
		"history.transferProcessorMaxPollRPS":   200,
		"history.visibilityProcessorMaxPollRPS": 200,
		// Not system.forceSearchAttributesCacheRefreshOnRead, which Temporal's
		// CLI dev server sets: it makes every start, upsert and visibility
		// write read the cluster metadata from the database again, which cost
		// a third of the enrolment rate on Postgres (BENCHMARKS.md, issue 20).
		// SQL visibility's attribute slots are fixed when the schema is set
		// up, and ripen's attributes are mapped onto them in the namespace
		// (createNamespace); an attribute added to an older store is waited
		// for once, at start (ensureSearchAttributes).
	}
}

// EffectiveDynamicConfig is the dynamic config the server runs with: the
// defaults with t's keys on top (keys compare case-insensitively, as the
// server reads them).
func (t Tuning) EffectiveDynamicConfig() map[string]any {
	out := DefaultDynamicConfig()
	for k, v := range t.DynamicConfig {
		for d := range out {
			if strings.EqualFold(d, k) {
				delete(out, d)
			}
		}
		out[k] = v
	}
	return out
}

// Check reports every key or value the server would ignore or reject.
func (t Tuning) Check() error {
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(t.DynamicConfig)) {
		if err := CheckDynamicConfig(k, t.DynamicConfig[k]); err != nil {
			errs = append(errs, err)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(t.SQLitePragmas)) {
		if err := checkPragma(k, t.SQLitePragmas[k]); err != nil {
			errs = append(errs, err)
		}
	}
	if t.SQLiteMaxConns < 0 {
		errs = append(errs, fmt.Errorf("SQLite max connections %d: want a positive number", t.SQLiteMaxConns))
	}
	return errors.Join(errs...)
}

func (t Tuning) dynamicConfigClient() dynamicconfig.StaticClient {
	dyn := dynamicconfig.StaticClient{}
	for k, v := range t.EffectiveDynamicConfig() {
		dyn[dynamicconfig.MakeKey(k)] = v
	}
	return dyn
}

// CheckDynamicConfig reports whether the server knows key and can read
// value for it. The server itself only logs a bad value and falls back to
// the default, which would make a benchmark measure the wrong thing.
func CheckDynamicConfig(key string, value any) error {
	if strings.TrimSpace(key) == "" {
		return errors.New("dynamic config: empty key")
	}
	node, err := yamlValue(value)
	if err != nil {
		return fmt.Errorf("dynamic config %s: %w", key, err)
	}
	if err := validate(key, node); err != nil {
		return err
	}
	if _, isDuration := value.(time.Duration); isDuration && validate(key, strNode(probeString)) == nil {
		// A string key accepts "5s" as text, but the server would be handed
		// a time.Duration.
		return fmt.Errorf("dynamic config %s: wants a string, not the duration %v", key, value)
	}
	return nil
}

// ParseDynamicConfig parses "key=value" as the benchmark's --server-config
// flag takes it. The value is the first of int, float, bool, duration
// (Go syntax: 500ms, 5s, 1m) or string that the key accepts; a number for a
// duration key counts seconds, as in the server's YAML file.
func ParseDynamicConfig(kv string) (string, any, error) {
	key, raw, ok := strings.Cut(kv, "=")
	key, raw = strings.TrimSpace(key), strings.TrimSpace(raw)
	if !ok || key == "" {
		return "", nil, fmt.Errorf("%q: want key=value, such as history.eventsCacheMaxSizeBytes=8388608", kv)
	}
	var candidates []any
	if n, err := strconv.Atoi(raw); err == nil {
		candidates = append(candidates, n)
	}
	if f, err := strconv.ParseFloat(raw, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		candidates = append(candidates, f)
	}
	if b, err := strconv.ParseBool(raw); err == nil {
		candidates = append(candidates, b)
	}
	if d, err := time.ParseDuration(raw); err == nil {
		candidates = append(candidates, d)
	}
	candidates = append(candidates, raw)
	var first error
	for _, c := range candidates {
		err := CheckDynamicConfig(key, c)
		if err == nil {
			return key, c, nil
		}
		if first == nil || errors.Is(err, errUnknownKey) {
			first = err
		}
		if errors.Is(err, errUnknownKey) {
			break
		}
	}
	return "", nil, first
}

var errUnknownKey = errors.New("not a dynamic config key of this Temporal server")

// probeString is no value any typed setting would accept.
const probeString = "ripen-probe: not a number, duration or bool"

// validate runs the server's own YAML loader on one value: it looks the
// key up in the server's registry and converts the value with the key's
// own converter.
func validate(key string, node *yaml.Node) error {
	doc := &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{{
		Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "value"}, node},
	}}}
	data, err := yaml.Marshal(doc)
	if err != nil {
		return fmt.Errorf("dynamic config %s: %w", key, err)
	}
	var l dynamicconfig.YamlLoader
	l.LoadValue(dynamicconfig.MakeKey(key), data)
	if err := l.Err(); err != nil {
		return fmt.Errorf("dynamic config %s: %w", key, err)
	}
	if len(l.Warnings) == 0 {
		return nil
	}
	if w := l.Warnings[0]; !strings.Contains(w.Error(), "unregistered key") {
		return fmt.Errorf("dynamic config %s: the server cannot read %s for it: %w", key, describe(node), w)
	}
	return fmt.Errorf("dynamic config %s: %w", key, errUnknownKey)
}

func describe(n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode {
		return "this value"
	}
	return fmt.Sprintf("%q (%s)", n.Value, strings.TrimPrefix(n.Tag, "!!"))
}

func strNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: yaml.DoubleQuotedStyle}
}

// yamlValue writes v with its exact type, so that validation sees what the
// server's static client will be handed.
func yamlValue(v any) (*yaml.Node, error) {
	scalar := func(tag, s string) (*yaml.Node, error) {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: s}, nil
	}
	switch v := v.(type) {
	case nil:
		return nil, errors.New("no value")
	case time.Duration:
		// The server reads durations from strings; none of its types is a
		// duration in YAML.
		return strNode(v.String()), nil
	case string:
		return strNode(v), nil
	case bool:
		return scalar("!!bool", strconv.FormatBool(v))
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return scalar("!!int", fmt.Sprint(v))
	case float32:
		return scalar("!!float", strconv.FormatFloat(float64(v), 'g', -1, 32))
	case float64:
		return scalar("!!float", strconv.FormatFloat(v, 'g', -1, 64))
	}
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return nil, err
	}
	return &n, nil
}

var pragmaName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
var pragmaValue = regexp.MustCompile(`^-?[A-Za-z0-9_]+$`)

// notPragmas are the SQLite URI parameters the server's SQLite plugin
// passes as such; every other connect attribute becomes a pragma.
var notPragmas = map[string]bool{"cache": true, "immutable": true, "mode": true, "modeof": true, "nolock": true, "psow": true, "setup": true, "vfs": true}

func checkPragma(name, value string) error {
	if !pragmaName.MatchString(name) || notPragmas[name] {
		return fmt.Errorf("SQLite pragma %q: want a pragma name such as cache_size or journal_mode", name)
	}
	if !pragmaValue.MatchString(value) {
		return fmt.Errorf("SQLite pragma %s=%q: want a number or a word", name, value)
	}
	return nil
}

// ParsePragma parses "name=value" as the benchmark's --sqlite-pragma flag
// takes it.
func ParsePragma(kv string) (string, string, error) {
	name, value, ok := strings.Cut(kv, "=")
	name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
	if !ok {
		return "", "", fmt.Errorf("%q: want name=value, such as cache_size=-65536", kv)
	}
	if err := checkPragma(name, value); err != nil {
		return "", "", err
	}
	return name, value, nil
}
