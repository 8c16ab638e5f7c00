// AST -> graph IR. Statements are evaluated in source order, a call's
// arguments before the call, chains left to right; that order names weights
// (language.md section 5) and orders the layers.
#include "frontend/elaborate.h"

#include "frontend/args.h"
#include "frontend/value.h"
#include "ir/ops.h"
#include "ir/report.h"

#include <set>

namespace cnnc {

namespace {

// A name bound in a body, with where it was bound.
struct Binding {
  Value value;
  Loc loc;
};

// The state of one body being evaluated: a network body or one expansion of
// a block body.
struct Frame {
  std::map<std::string, Binding> names; // the scope: parameters and statements
  std::string prefix;                   // "" or "inc3a."
  // The statement being evaluated.
  std::string stmt;
  int units = 0;    // weighted ops and block calls in it
  int nextUnit = 0; // the next unit's index
  bool singleCall = false;
  std::map<std::string, int> opSeen; // unweighted ops named so far, per op
};

class Elaborator {
public:
  Elaborator(const Module &m, const SourceManager &sm, DiagEngine &diag, Graph &g)
      : m_(m), sm_(sm), diag_(diag), g_(g) {}

  bool run() {
    const ast::Network &net = *m_.network;
    g_.name = net.name;
    g_.inputName = net.input;
    checkBlockDefaults();
    Frame frame;
    int64_t dims[3];
    if (!shapeList(*net.inputShape, dims, "input shape"))
      return false;
    Node &in = g_.add(OpKind::Input);
    in.name = net.input;
    in.loc = net.inputLoc;
    in.shape = {dims[0], dims[1], dims[2]};
    g_.input = in.id;
    Value v;
    v.kind = Value::Kind::Tensor;
    v.node = in.id;
    v.label = net.input;
    bind(frame, net.input, net.inputLoc, v);
    Value out = body(net.body, frame);
    if (out.kind != Value::Kind::Tensor && !out.poisoned())
      diag_.error(net.body.result->loc, "a network returns a tensor, not " + describe(out));
    if (out.kind == Value::Kind::Tensor)
      g_.output = out.node;
    warnUnused();
    checkWeightNames();
    checkTotals();
    return diag_.errors() == 0 && g_.output >= 0;
  }

private:
  // ---- counting, for names ------------------------------------------------

  bool isUnit(const ast::Expr &call) const {
    const OpInfo *op = findOp(call.name);
    return op ? op->weighted : m_.blocks.count(call.name) > 0;
  }

  void count(const ast::Expr &e, int &units, int &calls) const {
    if (e.kind == ast::Expr::Kind::Call) {
      units += isUnit(e);
      calls += findOp(e.name) || m_.blocks.count(e.name);
      for (const auto &a : e.args)
        count(*a.value, units, calls);
    }
    for (const auto &item : e.items)
      count(*item, units, calls);
  }

  void beginStatement(Frame &f, const std::string &name, const ast::Expr &e) {
    int calls = 0;
    f.stmt = name;
    f.units = 0;
    f.nextUnit = 0;
    f.opSeen.clear();
    count(e, f.units, calls);
    f.singleCall = calls == 1;
  }

  // "NAME" for a statement's only unit, "NAME.i" for its i-th of several.
  std::string unitName(Frame &f) {
    std::string n = f.prefix + f.stmt;
    if (f.units > 1)
      n += "." + std::to_string(f.nextUnit);
    ++f.nextUnit;
    return n;
  }

  // Layers without weights: "NAME" alone in a statement, else "NAME/op".
  std::string layerName(Frame &f, const char *op) {
    if (f.singleCall)
      return f.prefix + f.stmt;
    int n = f.opSeen[op]++;
    return f.prefix + f.stmt + "/" + op + (n ? "." + std::to_string(n) : "");
  }

  // ---- bodies and statements ---------------------------------------------

  void bind(Frame &f, const std::string &name, Loc loc, Value v) {
    if (findOp(name)) {
      diag_.error(loc, "'" + name + "' is an operator and cannot be bound as a name");
      return;
    }
    auto it = f.names.find(name);
    if (it != f.names.end()) {
      diag_.error(loc, "'" + name + "' is already bound in this scope")
          .notes.push_back({it->second.loc, "first bound here"});
      return;
    }
    f.names.emplace(name, Binding{std::move(v), loc});
  }

  Value body(const ast::Body &b, Frame &f) {
    for (const auto &st : b.statements) {
      if (aborted_)
        return {};
      beginStatement(f, st.name, *st.value);
      int first = static_cast<int>(g_.size()); // the statement's nodes: ids from here
      Value v = eval(*st.value, f);
      if (st.shape && !v.poisoned())
        assertShape(st, v, first);
      if (v.kind == Value::Kind::Tensor)
        v.label = st.name;
      bind(f, st.name, st.loc, std::move(v));
    }
    beginStatement(f, "output", *b.result);
    return eval(*b.result, f);
  }

  // A failed assertion explains the statement's arithmetic: back from its
  // value through each op's first input (a block's too), while the ops are
  // the statement's own and until one that sets what disagrees, the windows
  // that set the height and width, or a concat's channels.
  void assertShape(const ast::Statement &st, const Value &v, int first) {
    int64_t dims[3];
    if (!shapeList(*st.shape, dims, "shape assertion"))
      return;
    if (v.kind != Value::Kind::Tensor) {
      diag_.error(st.shape->loc, "'" + st.name + "' is " + describe(v) +
                                     ", not a tensor: its shape cannot be asserted");
      return;
    }
    const Shape &s = g_.node(v.node).shape;
    Shape want{dims[0], dims[1], dims[2]};
    if (s == want)
      return;
    Diagnostic &d =
        diag_.error(st.shape->loc, "shape assertion failed: '" + st.name + "' is " +
                                       shapeStr(s.dims()) + ", not " + shapeStr(want.dims()));
    bool spatial = s.h != want.h || s.w != want.w;
    std::vector<Note> steps;
    for (int id = v.node; id >= first;) {
      const Node &n = g_.node(id);
      std::string how = shapeArithmetic(g_, n, spatial);
      if (!how.empty())
        steps.push_back({n.loc, how});
      bool sets =
          spatial ? n.op == OpKind::Fc || n.op == OpKind::Flatten || n.op == OpKind::GlobalAvgPool
                  : n.op == OpKind::Conv || n.op == OpKind::Fc || n.op == OpKind::Concat;
      if (n.inputs.empty() || sets) // the ops before it do not decide what was asserted
        break;
      id = n.inputs[0];
    }
    d.notes.insert(d.notes.end(), steps.rbegin(), steps.rend());
  }

  // A [C, H, W] list of positive integer literals.
  bool shapeList(const ast::Expr &e, int64_t dims[3], const char *what) {
    bool ok = e.kind == ast::Expr::Kind::List && e.items.size() == 3;
    for (size_t i = 0; ok && i < 3; ++i) {
      ok = e.items[i]->kind == ast::Expr::Kind::Int && e.items[i]->intValue >= 1;
      if (ok)
        dims[i] = e.items[i]->intValue;
    }
    if (!ok)
      diag_.error(e.loc, std::string(what) + " must be [C, H, W], three positive integers");
    return ok;
  }

  // ---- expressions -------------------------------------------------------

  Value eval(const ast::Expr &e, Frame &f) {
    using K = ast::Expr::Kind;
    Value v;
    v.loc = e.loc;
    switch (e.kind) {
    case K::Int:
      v.kind = Value::Kind::Int;
      v.i = e.intValue;
      return v;
    case K::Real:
      v.kind = Value::Kind::Real;
      v.r = e.realValue;
      return v;
    case K::Bool:
      v.kind = Value::Kind::Bool;
      v.b = e.boolValue;
      return v;
    case K::PadWord:
      v.kind = Value::Kind::Word;
      v.word = e.name;
      return v;
    case K::List:
      v.kind = Value::Kind::List;
      for (const auto &item : e.items)
        v.items.push_back(eval(*item, f));
      return v;
    case K::Name:
      return lookup(e, f);
    case K::Call:
      return call(e, f);
    }
    return v;
  }

  Value lookup(const ast::Expr &e, Frame &f) {
    auto it = f.names.find(e.name);
    if (it != f.names.end()) {
      Value v = it->second.value;
      v.loc = e.loc;
      return v;
    }
    if (findOp(e.name) || m_.blocks.count(e.name)) {
      diag_.error(e.loc, "'" + e.name + "' is " + (findOp(e.name) ? "an operator" : "a block") +
                             ": call it, as " + e.name + "(x) or x -> " + e.name);
      return {};
    }
    std::vector<std::string> names;
    for (const auto &[n, b] : f.names)
      names.push_back(n);
    std::string hint = closest(e.name, names);
    diag_.error(e.loc, "'" + e.name + "' is not defined" +
                           (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
    return {};
  }

  Value call(const ast::Expr &e, Frame &f) {
    std::vector<CallArg> args;
    for (const auto &a : e.args)
      args.push_back({a.keyword, a.keywordLoc, eval(*a.value, f)});
    if (aborted_)
      return {};
    if (const OpInfo *op = findOp(e.name))
      return applyOp(*op, e, args, f);
    auto it = m_.blocks.find(e.name);
    if (it != m_.blocks.end())
      return applyBlock(*it->second, e, args, f);
    std::vector<std::string> names;
    for (const auto &op : opTable())
      if (op.kind != OpKind::Input)
        names.push_back(op.name);
    for (const auto &[n, b] : m_.blocks)
      names.push_back(n);
    std::string hint = closest(e.name, names);
    diag_.error(e.loc, "unknown operator or block '" + e.name + "'" +
                           (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
    return {};
  }

  Value applyOp(const OpInfo &op, const ast::Expr &e, const std::vector<CallArg> &args, Frame &f) {
    std::string name = op.weighted ? unitName(f) : layerName(f, op.name);
    std::vector<std::string> params;
    int variadic = -1;
    for (const auto &spec : op.args) {
      if (spec.kind == ArgKind::Tensors)
        variadic = static_cast<int>(params.size());
      params.push_back(spec.name);
    }
    std::vector<std::vector<size_t>> slots;
    bool matched = matchArgs(op.name, params, variadic, args, diag_, slots);
    bool ok = matched;

    Node node;
    node.op = op.kind;
    node.name = name;
    node.unit = op.weighted ? name : "";
    node.loc = e.loc;
    node.context = context_;
    std::map<std::string, Loc> argLocs;
    std::vector<std::string> labels;
    std::map<std::string, ArgValue> bound;
    bool poisoned = false;
    for (size_t p = 0; p < op.args.size(); ++p) {
      const ArgSpec &spec = op.args[p];
      if (slots[p].empty()) {
        if (!matched) {
          // After a misspelt keyword, the argument it meant is not missing.
        } else if (spec.kind == ArgKind::Tensors) {
          diag_.error(e.loc, std::string(op.name) + " needs at least one tensor");
          ok = false;
        } else if (!spec.def) {
          diag_.error(e.loc, std::string(op.name) + " needs argument '" + spec.name + "'");
          ok = false;
        } else if (spec.def[0] == '=') {
          // "=kernel": a copy of an argument earlier in the table, bound by now.
          bound[spec.name] = bound[spec.def + 1];
        } else {
          bound[spec.name] = parseDefault(spec.kind, spec.def);
        }
        continue;
      }
      for (size_t a : slots[p]) {
        const CallArg &arg = args[a];
        argLocs[spec.name] = arg.keyword.empty() ? arg.value.loc : arg.keywordLoc;
        if (arg.value.poisoned()) {
          poisoned = true;
          continue;
        }
        ArgValue v;
        std::string expected;
        if (!convertArg(spec.kind, arg.value, v, expected)) {
          diag_.error(arg.value.loc, "argument '" + std::string(spec.name) + "' of " + op.name +
                                         " must be " + expected + ", not " + describe(arg.value));
          ok = false;
          continue;
        }
        bound[spec.name] = v;
        if (spec.set)
          spec.set(node.attrs, v);
        if (spec.kind == ArgKind::Tensor || spec.kind == ArgKind::Tensors) {
          node.inputs.push_back(arg.value.node);
          labels.push_back(arg.value.label);
        }
      }
    }
    if (!ok || poisoned)
      return {};
    for (size_t p = 0; p < op.args.size(); ++p) // the defaults
      if (slots[p].empty() && op.args[p].set)
        op.args[p].set(node.attrs, bound[op.args[p].name]);
    if (g_.size() >= kMaxLayers) {
      diag_.error(e.loc,
                  "the network expands to more than " + std::to_string(kMaxLayers) + " layers");
      aborted_ = true;
      return {};
    }
    Node &n = g_.add(op.kind);
    int id = n.id;
    node.id = id;
    n = std::move(node);
    InferCtx ctx{diag_, g_, n, {}, labels, argLocs};
    if (!inferNode(ctx))
      return {};
    Value v;
    v.kind = Value::Kind::Tensor;
    v.node = id;
    v.label = name;
    v.loc = e.loc;
    return v;
  }

  Value applyBlock(const ast::Block &b, const ast::Expr &e, const std::vector<CallArg> &args,
                   Frame &f) {
    std::string unit = unitName(f);
    for (const ast::Block *active : stack_)
      if (active == &b) {
        std::string chain;
        for (const ast::Block *s : stack_)
          chain += s->name + " -> ";
        diag_.error(e.loc, "block '" + b.name + "' calls itself: " + chain + b.name);
        return {};
      }
    if (stack_.size() >= 100) {
      diag_.error(e.loc, "block calls nested more than 100 deep");
      return {};
    }
    std::vector<std::string> params;
    for (const auto &p : b.params)
      params.push_back(p.name);
    std::vector<std::vector<size_t>> slots;
    if (!matchArgs("block '" + b.name + "'", params, -1, args, diag_, slots))
      return {};
    Frame inner;
    inner.prefix = unit + ".";
    bool ok = true;
    for (size_t p = 0; p < b.params.size(); ++p) {
      const ast::Param &param = b.params[p];
      Value v;
      if (!slots[p].empty()) {
        v = args[slots[p].front()].value;
      } else if (param.def) {
        v = eval(*param.def, inner);
      } else {
        diag_.error(e.loc, "block '" + b.name + "' needs argument '" + param.name + "'")
            .notes.push_back({param.loc, "'" + param.name + "' is declared here"});
        ok = false;
        continue;
      }
      inner.names.emplace(param.name, Binding{v, param.loc});
    }
    if (!ok)
      return {};
    const Loc &at = e.loc;
    std::string where = std::to_string(at.line) + ":" + std::to_string(at.col);
    if (at.file != b.loc.file)
      where = sm_.file(at.file).path + ":" + where;
    std::string note = "in block '" + b.name + "' called at " + where;
    diag_.pushContext(note);
    context_.insert(context_.begin(), note);
    stack_.push_back(&b);
    Value v = body(b.body, inner);
    stack_.pop_back();
    context_.erase(context_.begin());
    diag_.popContext();
    if (v.kind == Value::Kind::Tensor)
      v.label = unit;
    v.loc = e.loc;
    return v;
  }

  // ---- checks over definitions ---------------------------------------------

  // Parameter defaults are literals: numbers, true/false, same/valid, lists.
  static bool literal(const ast::Expr &e) {
    if (e.kind == ast::Expr::Kind::Call || e.kind == ast::Expr::Kind::Name)
      return false;
    for (const auto &item : e.items)
      if (!literal(*item))
        return false;
    return true;
  }

  void checkBlockDefaults() {
    for (const auto &[name, b] : m_.blocks) {
      std::set<std::string> seen;
      for (const auto &p : b->params) {
        if (!seen.insert(p.name).second)
          diag_.error(p.loc, "parameter '" + p.name + "' of block '" + name + "' is repeated");
        if (findOp(p.name))
          diag_.error(p.loc, "'" + p.name + "' is an operator and cannot name a parameter");
        if (p.def && !literal(*p.def))
          diag_.error(p.def->loc, "the default of parameter '" + p.name +
                                      "' must be a literal (a number, true, false, same, "
                                      "valid or a list of them)");
      }
    }
  }

  static void referenced(const ast::Expr &e, std::set<std::string> &out) {
    if (e.kind == ast::Expr::Kind::Name)
      out.insert(e.name);
    for (const auto &a : e.args)
      referenced(*a.value, out);
    for (const auto &item : e.items)
      referenced(*item, out);
  }

  void warnUnusedIn(const ast::Body &b) {
    std::set<std::string> used;
    for (const auto &st : b.statements)
      referenced(*st.value, used);
    referenced(*b.result, used);
    for (const auto &st : b.statements)
      if (!used.count(st.name))
        diag_.warning(st.loc, "'" + st.name + "' is bound but never used");
  }

  void warnUnused() {
    warnUnusedIn(m_.network->body);
    for (const auto &file : m_.files)
      for (const auto &b : file->blocks)
        if (m_.blocks.count(b->name) && m_.blocks.at(b->name) == b.get())
          warnUnusedIn(b->body);
  }

  // The network's totals must be exact too (each layer's were checked).
  void checkTotals() {
    int at = totals(g_).overflowAt;
    if (at >= 0)
      diag_.error(g_.node(at).loc,
                  "the network's total parameter or multiply-add count is too large to count");
  }

  void checkWeightNames() {
    std::map<std::string, const Node *> seen;
    for (const auto &n : g_.nodes())
      for (const auto &w : n->weights) {
        auto [it, fresh] = seen.emplace(w.name, n.get());
        if (!fresh)
          diag_.error(n->loc, "weight name '" + w.name + "' is given twice")
              .notes.push_back({it->second->loc, "first given here"});
      }
  }

  const Module &m_;
  const SourceManager &sm_;
  DiagEngine &diag_;
  Graph &g_;
  std::vector<const ast::Block *> stack_; // blocks being expanded, outermost first
  std::vector<std::string> context_;      // call-site notes, innermost first
  bool aborted_ = false;
};

} // namespace

std::unique_ptr<Graph> elaborate(const Module &module, const SourceManager &sm, DiagEngine &diag) {
  auto g = std::make_unique<Graph>();
  if (!Elaborator(module, sm, diag, *g).run())
    return nullptr;
  return g;
}

std::unique_ptr<Graph> compileFile(const std::string &path, SourceManager &sm, DiagEngine &diag,
                                   const ReadFile &read) {
  auto module = loadModule(path, sm, diag, read);
  if (!module)
    return nullptr;
  return elaborate(*module, sm, diag);
}

} // namespace cnnc
