// cnnc --emit ast: the AST as an indented tree, with locations.
#include "frontend/ast.h"

#include <ostream>

namespace cnnc::ast {

namespace {

void at(std::ostream &os, const Loc &l) { os << " @" << l.line << ':' << l.col; }

void expr(std::ostream &os, const Expr &e, int depth) {
  std::string pad(static_cast<size_t>(depth) * 2, ' ');
  os << pad;
  switch (e.kind) {
  case Expr::Kind::Call:
    os << "call " << e.name;
    break;
  case Expr::Kind::Name:
    os << "name " << e.name;
    break;
  case Expr::Kind::Int:
    os << "int " << e.intValue;
    break;
  case Expr::Kind::Real:
    os << "real " << e.realValue;
    break;
  case Expr::Kind::Bool:
    os << "bool " << (e.boolValue ? "true" : "false");
    break;
  case Expr::Kind::PadWord:
    os << "word " << e.name;
    break;
  case Expr::Kind::List:
    os << "list";
    break;
  }
  at(os, e.loc);
  os << '\n';
  for (const auto &a : e.args) {
    if (!a.keyword.empty())
      os << pad << "  " << a.keyword << " =\n";
    expr(os, *a.value, depth + (a.keyword.empty() ? 1 : 2));
  }
  for (const auto &item : e.items)
    expr(os, *item, depth + 1);
}

void body(std::ostream &os, const Body &b) {
  for (const auto &st : b.statements) {
    os << "  let " << st.name;
    at(os, st.loc);
    os << '\n';
    if (st.shape) {
      os << "    assert\n";
      expr(os, *st.shape, 3);
    }
    expr(os, *st.value, 2);
  }
  os << "  return";
  at(os, b.returnLoc);
  os << '\n';
  expr(os, *b.result, 2);
}

} // namespace

void dump(std::ostream &os, const File &file) {
  for (const auto &imp : file.imports) {
    os << "import \"" << imp.path << '"';
    at(os, imp.loc);
    os << '\n';
  }
  for (const auto &b : file.blocks) {
    os << "block " << b->name << '(';
    for (size_t i = 0; i < b->params.size(); ++i)
      os << (i ? ", " : "") << b->params[i].name << (b->params[i].def ? "=..." : "");
    os << ')';
    at(os, b->loc);
    os << '\n';
    body(os, b->body);
  }
  for (const auto &n : file.networks) {
    os << "network " << n->name << '(' << n->input << ')';
    at(os, n->loc);
    os << '\n';
    expr(os, *n->inputShape, 1);
    body(os, n->body);
  }
}

} // namespace cnnc::ast
