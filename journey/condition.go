package journey

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// ConditionEnv is what an `if` condition can see of a run. The workflow fills
// it from its state; the functions must be pure.
type ConditionEnv struct {
	Score             float64
	DaysInJourney     int
	Cycle             int
	FastLaneRequested bool
	// Clicked and Opened report whether the email of the named step was
	// clicked or opened in the current cycle.
	Clicked func(step string) bool
	Opened  func(step string) bool
	// Visits counts visits on a topic in the current cycle.
	Visits func(topic string) int
}

// The condition language is github.com/expr-lang/expr rather than cel-go.
// Both are side-effect free, but expr type-checks against a plain Go struct
// (so an unknown variable or a call with the wrong argument is a compile
// error with a column), calls Go funcs directly for clicked/opened/visits,
// compiles to a small bytecode VM with a memory budget, and reads like the
// JavaScript-ish `score < 20 && days_in_journey < 90` marketing ops write,
// without cel-go's protobuf type system and declarations. Determinism comes
// from what we allow: builtin functions are disabled except pure arithmetic
// and len (no now(), date() or timezone(), which read the clock or
// time.Local; the predicates all/any/filter stay, bounded by expr's memory
// budget), and the only inputs are the ConditionEnv values.

// conditionVars is the environment conditions are compiled against and run
// with; its expr tags are the names conditions use.
type conditionVars struct {
	Score             float64           `expr:"score"`
	DaysInJourney     int               `expr:"days_in_journey"`
	Cycle             int               `expr:"cycle"`
	FastLaneRequested bool              `expr:"fast_lane_requested"`
	Clicked           func(string) bool `expr:"clicked"`
	Opened            func(string) bool `expr:"opened"`
	Visits            func(string) int  `expr:"visits"`
}

// conditionBuiltins are the expr builtins conditions may use: pure functions
// of their arguments.
var conditionBuiltins = []string{"abs", "ceil", "floor", "round", "min", "max", "len"}

func conditionOptions() []expr.Option {
	opts := []expr.Option{expr.Env(conditionVars{}), expr.AsBool(), expr.DisableAllBuiltins(), expr.MaxNodes(500)}
	for _, b := range conditionBuiltins {
		opts = append(opts, expr.EnableBuiltin(b))
	}
	return opts
}

// CompileCondition reports whether src is a valid condition: it must compile
// against the condition variables and yield a bool. The error names the
// column of the mistake.
func CompileCondition(src string) error {
	_, err := compileCondition(src)
	return err
}

func compileCondition(src string) (*vm.Program, error) {
	if strings.TrimSpace(src) == "" {
		return nil, errors.New("empty condition")
	}
	p, err := expr.Compile(src, conditionOptions()...)
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			return nil, fmt.Errorf("does not compile: %s (column %d)", fe.Message, fe.Column+1)
		}
		return nil, fmt.Errorf("does not compile: %v", err)
	}
	return p, nil
}

// EvalCondition evaluates src against env. Missing functions in env count as
// "never clicked", "never opened" and "no visits". The result depends only on
// src and env.
func EvalCondition(src string, env ConditionEnv) (bool, error) {
	p, err := cachedCondition(src)
	if err != nil {
		return false, err
	}
	vars := conditionVars(env)
	if vars.Clicked == nil {
		vars.Clicked = func(string) bool { return false }
	}
	if vars.Opened == nil {
		vars.Opened = func(string) bool { return false }
	}
	if vars.Visits == nil {
		vars.Visits = func(string) int { return 0 }
	}
	out, err := expr.Run(p, vars)
	if err != nil {
		return false, fmt.Errorf("condition %q: %w", src, err)
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("condition %q: result is %T, not a bool", src, out)
	}
	return b, nil
}

// maxCachedConditions bounds the program cache. Conditions come from
// published journeys, so a few hundred cover a deployment; past the bound
// programs are compiled on every call instead.
const maxCachedConditions = 512

// conditionCache holds compiled programs by source. A program depends only on
// its source, so the cache never changes a result.
var conditionCache struct {
	sync.Mutex
	programs map[string]*vm.Program
}

func cachedCondition(src string) (*vm.Program, error) {
	conditionCache.Lock()
	p, ok := conditionCache.programs[src]
	conditionCache.Unlock()
	if ok {
		return p, nil
	}
	p, err := compileCondition(src)
	if err != nil {
		return nil, fmt.Errorf("condition %q: %w", src, err)
	}
	conditionCache.Lock()
	if conditionCache.programs == nil {
		conditionCache.programs = map[string]*vm.Program{}
	}
	if len(conditionCache.programs) < maxCachedConditions {
		conditionCache.programs[src] = p
	}
	conditionCache.Unlock()
	return p, nil
}

// conditionStepRefs returns the step ids that clicked('…') and opened('…')
// name as string literals in a condition that compiles.
func conditionStepRefs(src string) []string {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil
	}
	v := &stepRefVisitor{}
	ast.Walk(&tree.Node, v)
	return v.refs
}

type stepRefVisitor struct{ refs []string }

func (v *stepRefVisitor) Visit(n *ast.Node) {
	call, ok := (*n).(*ast.CallNode)
	if !ok || len(call.Arguments) != 1 {
		return
	}
	callee, ok := call.Callee.(*ast.IdentifierNode)
	if !ok || (callee.Value != "clicked" && callee.Value != "opened") {
		return
	}
	if arg, ok := call.Arguments[0].(*ast.StringNode); ok && !slices.Contains(v.refs, arg.Value) {
		v.refs = append(v.refs, arg.Value)
	}
}
