package journey

import (
	"errors"
	"fmt"
	"reflect"
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
// (so a call with the wrong argument is a compile error with a column), calls
// Go funcs directly for clicked/opened/visits, and reads like the
// JavaScript-ish `score < 20 && days_in_journey < 90` marketing ops write,
// without cel-go's protobuf type system and declarations.
//
// expr itself is a whole language: `let`, closures, ranges, maps, member
// access and builtins such as any() and repeat(). A journey comes from a
// marketing key, and its conditions run inside the API (simulate) and inside
// workflow tasks, so `let a = 1..1000; any(a, {any(a, {any(a, {# < 0})})})`
// would loop 10^9 times there. So a condition is held to a grammar of its
// own, checked on expr's syntax tree before expr compiles anything (expr's
// optimizer already builds arrays for constant ranges): literals, the
// variables, comparisons, arithmetic, the logical operators, `in` over a
// literal list, the engagement functions with a quoted name and a few pure
// arithmetic builtins. Every such program runs in time linear in its length,
// which MaxConditionLength bounds, and depends only on ConditionEnv: no
// clock, no time.Local.

// conditionVars is the environment conditions are compiled against and run
// with; its expr tags are the names conditions use. Its funcs are the
// engagement functions, the rest are the variables.
type conditionVars struct {
	Score             float64           `expr:"score"`
	DaysInJourney     int               `expr:"days_in_journey"`
	Cycle             int               `expr:"cycle"`
	FastLaneRequested bool              `expr:"fast_lane_requested"`
	Clicked           func(string) bool `expr:"clicked"`
	Opened            func(string) bool `expr:"opened"`
	Visits            func(string) int  `expr:"visits"`
}

// conditionVariables and engagementFunctions are the names conditionVars
// gives conditions, in its order; engagementArgument says what each
// function's one quoted argument names.
var conditionVariables, engagementFunctions = conditionNames()

var engagementArgument = map[string]string{"clicked": "step", "opened": "step", "visits": "topic"}

// engagementExample is a call of each engagement function, for problems.
var engagementExample = map[string]string{"clicked": "clicked('checklist')", "opened": "opened('checklist')", "visits": "visits('pricing')"}

func conditionNames() (vars, funcs []string) {
	t := reflect.TypeFor[conditionVars]()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type.Kind() == reflect.Func {
			funcs = append(funcs, f.Tag.Get("expr"))
		} else {
			vars = append(vars, f.Tag.Get("expr"))
		}
	}
	return vars, funcs
}

// conditionBuiltins are the expr builtins conditions may call: arithmetic
// on numbers, constant time whatever their arguments.
var conditionBuiltins = []string{"abs", "ceil", "floor", "round", "min", "max"}

// conditionOperators are the binary operators of the grammar; `in` (and
// `not in`) is allowed too, over a literal list only.
var conditionOperators = []string{"==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "&&", "||", "and", "or"}

// conditionGrammar says what a condition may hold, for the problem that
// refuses anything else.
var conditionGrammar = func() string {
	calls := make([]string, 0, len(engagementFunctions))
	for _, f := range engagementFunctions {
		calls = append(calls, fmt.Sprintf("%s('%s')", f, engagementArgument[f]))
	}
	calls = append(calls, conditionBuiltins...)
	return fmt.Sprintf("only numbers, quoted strings, true, false, nil, the variables %s, comparisons (== != < <= > >=), "+
		"arithmetic (+ - * / %%), &&, ||, !, `x in [1, 2]`, parentheses and the functions %s",
		strings.Join(conditionVariables, ", "), orList(calls))
}()

func conditionOptions() []expr.Option {
	opts := []expr.Option{expr.Env(conditionVars{}), expr.AsBool(), expr.DisableAllBuiltins(), expr.MaxNodes(500)}
	for _, b := range conditionBuiltins {
		opts = append(opts, expr.EnableBuiltin(b))
	}
	return opts
}

// CompileCondition reports whether src is a valid condition: it must stay
// within the condition grammar, compile against the condition variables and
// yield a bool. The error names the column of the mistake.
func CompileCondition(src string) error {
	_, _, err := compileCondition(src)
	return err
}

// compileCondition checks and compiles src, and returns the step ids that
// clicked('…') and opened('…') name, so that validation compiles each
// condition once.
func compileCondition(src string) (*vm.Program, []string, error) {
	if strings.TrimSpace(src) == "" {
		return nil, nil, errors.New("empty condition")
	}
	if len(src) > MaxConditionLength {
		return nil, nil, fmt.Errorf("is %d bytes long: a condition may have at most %d", len(src), MaxConditionLength)
	}
	tree, err := parser.Parse(src)
	if err != nil {
		return nil, nil, compileError(err)
	}
	g := &grammar{}
	g.expr(tree.Node)
	if g.err != nil {
		return nil, nil, g.err
	}
	p, err := expr.Compile(src, conditionOptions()...)
	if err != nil {
		return nil, nil, compileError(err)
	}
	return p, g.stepRefs, nil
}

func compileError(err error) error {
	var fe *file.Error
	if errors.As(err, &fe) {
		return fmt.Errorf("does not compile: %s (column %d)", fe.Message, fe.Column+1)
	}
	return fmt.Errorf("does not compile: %v", err)
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
	p, _, err := compileCondition(src)
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

// grammar walks a condition's syntax tree, refusing the first node outside
// the condition grammar and noting the steps it names.
type grammar struct {
	stepRefs []string
	err      error
}

// refuse records that what, the expression n, is outside the grammar.
func (g *grammar) refuse(n ast.Node, what string) {
	g.failAt(start(n), what, " is not allowed in a condition: "+conditionGrammar)
}

// refuseOperator records that n's operator is outside the grammar, at the
// operator.
func (g *grammar) refuseOperator(n *ast.BinaryNode, what string) {
	g.failAt(n.Location().From, what, " is not allowed in a condition: "+conditionGrammar)
}

// fail records the mistake "what (column N)tail" at the expression n.
func (g *grammar) fail(n ast.Node, what, tail string) { g.failAt(start(n), what, tail) }

// failAt records a mistake at offset from, unless an earlier one was
// recorded: one problem per condition, the outermost.
func (g *grammar) failAt(from int, what, tail string) {
	if g.err == nil {
		g.err = fmt.Errorf("%s (column %d)%s", what, from+1, tail)
	}
}

// start is where the expression n starts in the condition: expr places a
// node at its operator or name (a ternary at its last branch), so the
// column of a mistake is the leftmost of all its nodes.
func start(n ast.Node) int {
	v := &leftmost{from: n.Location().From}
	ast.Walk(&n, v)
	return v.from
}

type leftmost struct{ from int }

func (v *leftmost) Visit(n *ast.Node) { v.from = min(v.from, (*n).Location().From) }

// expr checks n and then what it holds, left to right: the outermost
// mistake is the one reported (`let` rather than what its value does).
func (g *grammar) expr(n ast.Node) {
	if g.err != nil {
		return
	}
	switch n := n.(type) {
	case *ast.NilNode, *ast.IntegerNode, *ast.FloatNode, *ast.StringNode, *ast.BoolNode:
	case *ast.IdentifierNode:
		switch {
		case slices.Contains(conditionVariables, n.Value):
		case slices.Contains(engagementFunctions, n.Value):
			g.fail(n, n.Value+" is a function", ": call it, as in "+engagementExample[n.Value])
		default:
			g.fail(n, "unknown name "+n.Value, ": a condition sees "+strings.Join(conditionVariables, ", ")+
				" and calls "+strings.Join(append(slices.Clone(engagementFunctions), conditionBuiltins...), ", ")+suggest(n.Value, conditionVariables))
		}
	case *ast.UnaryNode:
		switch n.Operator {
		case "!", "not", "-", "+":
			if in, ok := n.Node.(*ast.BinaryNode); ok && n.Operator == "not" && in.Operator == "in" {
				g.expr(in) // `x not in [...]`
				return
			}
			g.expr(n.Node)
		default:
			g.refuse(n, "the operator "+n.Operator)
		}
	case *ast.BinaryNode:
		switch {
		case n.Operator == "in":
			g.expr(n.Left)
			g.literalList(n.Right)
		case slices.Contains(conditionOperators, n.Operator):
			g.expr(n.Left)
			g.expr(n.Right)
		case n.Operator == "..":
			g.refuseOperator(n, "a range (..)")
		default:
			g.refuseOperator(n, "the operator "+n.Operator)
		}
	case *ast.CallNode:
		callee, _ := n.Callee.(*ast.IdentifierNode)
		switch {
		case piped(n, n.Arguments):
			g.refuse(n, "a pipe (|)")
		case callee == nil:
			g.expr(n.Callee) // a method, now().Year(): member access
			g.refuse(n, "calling the result of an expression")
		case slices.Contains(engagementFunctions, callee.Value):
			g.engagementCall(n, callee.Value)
		case slices.Contains(conditionVariables, callee.Value):
			g.fail(n, callee.Value+" is not a function", "")
		default:
			g.refuse(n, callee.Value+"()")
		}
	case *ast.BuiltinNode:
		switch {
		case piped(n, n.Arguments):
			g.refuse(n, "a pipe (|)")
		case slices.Contains(conditionBuiltins, n.Name):
			for _, a := range n.Arguments {
				g.expr(a)
			}
		default:
			g.refuse(n, n.Name+"()")
		}
	case *ast.ArrayNode:
		g.refuse(n, "a list outside `in [...]`")
	case *ast.VariableDeclaratorNode:
		g.refuse(n, "let")
	case *ast.PredicateNode:
		g.refuse(n, "a closure {...}")
	case *ast.PointerNode:
		g.refuse(n, "#"+n.Name)
	case *ast.MemberNode, *ast.ChainNode:
		g.refuse(n, "member access (. or [...])")
	case *ast.SliceNode:
		g.refuse(n, "slicing ([a:b])")
	case *ast.ConditionalNode:
		if n.Ternary {
			g.refuse(n, "the ternary operator (? :)")
		} else {
			g.refuse(n, "if/else")
		}
	case *ast.SequenceNode:
		g.refuse(n, "a sequence of expressions (;)")
	case *ast.MapNode, *ast.PairNode:
		g.refuse(n, "a map {...}")
	case *ast.BytesNode:
		g.refuse(n, "a bytes literal")
	default:
		g.refuse(n, fmt.Sprintf("%q", n.String()))
	}
}

// literalList checks the right side of `in`: a literal list of grammar
// expressions, so that membership costs its length and no more.
func (g *grammar) literalList(n ast.Node) {
	list, ok := n.(*ast.ArrayNode)
	if !ok {
		g.refuse(n, "`in` over anything but a literal list [...]")
		return
	}
	for _, item := range list.Nodes {
		g.expr(item)
	}
}

// engagementCall checks clicked('step'), opened('step') or visits('topic'):
// one quoted name, which validation can check against the journey.
func (g *grammar) engagementCall(n *ast.CallNode, name string) {
	arg := engagementArgument[name]
	what := arg
	if arg == "step" {
		what = "step id"
	}
	if len(n.Arguments) != 1 {
		g.fail(n, name, fmt.Sprintf(" takes one quoted %s, as in %s, not %d arguments", what, engagementExample[name], len(n.Arguments)))
		return
	}
	s, ok := n.Arguments[0].(*ast.StringNode)
	if !ok {
		g.fail(n.Arguments[0], "the argument of "+name, fmt.Sprintf(" must be a quoted %s, as in %s", what, engagementExample[name]))
		return
	}
	if arg == "step" && !slices.Contains(g.stepRefs, s.Value) {
		g.stepRefs = append(g.stepRefs, s.Value)
	}
}

// piped reports whether a call was written as a pipe (`x | f()`): its first
// argument then comes before its name.
func piped(call ast.Node, args []ast.Node) bool {
	return len(args) > 0 && args[0].Location().From < call.Location().From
}
