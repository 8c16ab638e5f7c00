// Source text -> AST. ANTLR builds the parse tree; this file checks what the
// grammar cannot (encoding, bad characters, nesting depth, number ranges) and
// turns the tree into the AST of ast.h.
#include "frontend/parser.h"

#include "CnnLexer.h"
#include "CnnParser.h"
#include "antlr4-runtime.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace cnnc {

namespace {

using antlr4::Token;

Loc locOf(int fileId, const Token *t) {
  return {fileId, static_cast<int>(t->getLine()), static_cast<int>(t->getCharPositionInLine()) + 1};
}

// Byte offset of the first invalid UTF-8 sequence, or npos.
size_t invalidUtf8(const std::string &s) {
  for (size_t i = 0; i < s.size();) {
    int len = utf8Length(s, i);
    if (len == 0)
      return i;
    i += static_cast<size_t>(len);
  }
  return std::string::npos;
}

// The location of a byte of f, whose line up to it is valid UTF-8: its
// column counts characters, as ANTLR's do.
Loc locOfOffset(const SourceFile &f, int fileId, size_t offset) {
  auto it = std::upper_bound(f.lineStarts.begin(), f.lineStarts.end(), offset);
  int line = static_cast<int>(it - f.lineStarts.begin());
  int col = 1;
  for (size_t i = f.lineStarts[static_cast<size_t>(line) - 1]; i < offset; ++i)
    col += (static_cast<unsigned char>(f.text[i]) >> 6) != 2; // not a continuation byte
  return {fileId, line, col};
}

// ANTLR's wording, in the user's terms: "expected X, found 'y'".
std::string friendly(std::string msg) {
  auto replaceAll = [&](const std::string &from, const std::string &to) {
    for (size_t p = msg.find(from); p != std::string::npos; p = msg.find(from, p + to.size()))
      msg.replace(p, from.size(), to);
  };
  replaceAll("'<EOF>'", "end of file");
  replaceAll("<EOF>", "end of file");
  replaceAll("NAME", "a name");
  replaceAll("NUMBER", "a number");
  replaceAll("STRING", "a string");
  auto rewrite = [&](const std::string &head, const std::string &mid, bool found) {
    if (msg.rfind(head, 0) != 0)
      return false;
    size_t m = msg.find(mid, head.size());
    if (m == std::string::npos)
      return false;
    std::string got = msg.substr(head.size(), m - head.size());
    std::string want = msg.substr(m + mid.size());
    msg =
        found ? "expected " + want + ", found " + got : "unexpected " + got + "; expected " + want;
    return true;
  };
  if (rewrite("mismatched input ", " expecting ", true) ||
      rewrite("extraneous input ", " expecting ", false))
    return msg;
  if (msg.rfind("missing ", 0) == 0) {
    size_t at = msg.find(" at ");
    if (at != std::string::npos)
      return "expected " + msg.substr(8, at - 8) + " before " + msg.substr(at + 4);
  }
  return msg;
}

class DiagListener : public antlr4::BaseErrorListener {
public:
  DiagListener(DiagEngine &diag, int fileId) : diag_(diag), fileId_(fileId) {}
  void syntaxError(antlr4::Recognizer *, Token *offending, size_t line, size_t col,
                   const std::string &msg, std::exception_ptr) override {
    ++count;
    std::string text = msg;
    if (msg.rfind("no viable alternative", 0) == 0 && offending)
      text =
          "unexpected " + (offending->getType() == Token::EOF ? std::string("end of file")
                                                              : "'" + offending->getText() + "'");
    diag_.error({fileId_, static_cast<int>(line), static_cast<int>(col) + 1},
                "syntax error: " + friendly(text));
  }
  int count = 0;

private:
  DiagEngine &diag_;
  int fileId_;
};

// Reports characters no token accepts and brackets nested too deeply.
bool checkTokens(const std::vector<Token *> &tokens, int fileId, DiagEngine &diag) {
  bool ok = true;
  int depth = 0;
  size_t lastBad = SIZE_MAX;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token *t = tokens[i];
    if (t->getType() == CnnLexer::BAD) {
      if (lastBad + 1 != i) {
        std::string ch = t->getText();
        unsigned char u = ch.empty() ? 0 : static_cast<unsigned char>(ch[0]);
        if (u < 0x20 || u == 0x7f) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\x%02x", u);
          ch = buf;
        }
        diag.error(locOf(fileId, t), "unexpected character '" + ch + "'");
        ok = false;
      }
      lastBad = i;
    } else if (t->getType() == CnnLexer::UNTERMINATED) {
      diag.error(locOf(fileId, t), "missing terminating '\"' character");
      ok = false;
    }
    std::string s = t->getText();
    if (s == "(" || s == "[" || s == "{")
      ++depth;
    else if (s == ")" || s == "]" || s == "}")
      --depth;
    if (depth > kMaxNesting) {
      diag.error(locOf(fileId, t),
                 "brackets nested more than " + std::to_string(kMaxNesting) + " levels deep");
      return false;
    }
    if (diag.tooMany())
      return false;
  }
  return ok;
}

// Parse tree -> AST.
class Builder {
public:
  Builder(int fileId, DiagEngine &diag) : file_(fileId), diag_(diag) {}

  std::unique_ptr<ast::File> file(CnnParser::FileContext *ctx) {
    auto f = std::make_unique<ast::File>();
    f->fileId = file_;
    for (auto *item : ctx->topItem()) {
      if (auto *imp = item->importDecl()) {
        std::string s = imp->STRING()->getText();
        f->imports.push_back({s.substr(1, s.size() - 2), loc(imp->STRING()->getSymbol())});
      } else if (auto *b = item->blockDecl()) {
        f->blocks.push_back(block(b));
      } else if (auto *n = item->networkDecl()) {
        f->networks.push_back(network(n));
      }
    }
    return ok_ ? std::move(f) : nullptr;
  }

private:
  Loc loc(const Token *t) const { return locOf(file_, t); }

  std::unique_ptr<ast::Network> network(CnnParser::NetworkDeclContext *ctx) {
    auto n = std::make_unique<ast::Network>();
    n->name = ctx->NAME(0)->getText();
    n->loc = loc(ctx->NAME(0)->getSymbol());
    n->input = ctx->NAME(1)->getText();
    n->inputLoc = loc(ctx->NAME(1)->getSymbol());
    n->inputShape = list(ctx->list(), 1);
    body(ctx->body(), n->body);
    return n;
  }

  std::unique_ptr<ast::Block> block(CnnParser::BlockDeclContext *ctx) {
    auto b = std::make_unique<ast::Block>();
    b->name = ctx->NAME()->getText();
    b->loc = loc(ctx->NAME()->getSymbol());
    for (auto *p : ctx->param()) {
      ast::Param param{p->NAME()->getText(), loc(p->NAME()->getSymbol()), nullptr};
      if (p->expr())
        param.def = expr(p->expr(), 1);
      b->params.push_back(std::move(param));
    }
    body(ctx->body(), b->body);
    return b;
  }

  void body(CnnParser::BodyContext *ctx, ast::Body &out) {
    for (auto *s : ctx->statement()) {
      ast::Statement st;
      st.name = s->NAME()->getText();
      st.loc = loc(s->NAME()->getSymbol());
      if (s->list())
        st.shape = list(s->list(), 1);
      st.value = expr(s->expr(), 1);
      out.statements.push_back(std::move(st));
    }
    out.returnLoc = loc(ctx->RETURN()->getSymbol());
    out.result = expr(ctx->expr(), 1);
  }

  bool deep(int depth, const Token *at) {
    if (depth <= kMaxExprDepth)
      return false;
    if (!reportedDepth_)
      diag_.error(loc(at), "expression nested more than " + std::to_string(kMaxExprDepth) +
                               " levels deep (chains count one level per '->')");
    reportedDepth_ = true;
    ok_ = false;
    return true;
  }

  // expr: primary (-> chainCall)*, desugared to nested calls.
  ast::ExprPtr expr(CnnParser::ExprContext *ctx, int depth) {
    auto chain = ctx->chainCall();
    if (deep(depth + static_cast<int>(chain.size()), ctx->getStart()))
      return placeholder(ctx->getStart());
    ast::ExprPtr e = primary(ctx->primary(), depth + static_cast<int>(chain.size()));
    for (auto *c : chain) {
      auto call = std::make_unique<ast::Expr>();
      call->kind = ast::Expr::Kind::Call;
      call->name = c->NAME()->getText();
      call->loc = loc(c->NAME()->getSymbol());
      call->args.push_back({"", {}, std::move(e)});
      if (c->argList())
        args(c->argList(), call->args, depth);
      e = std::move(call);
    }
    return e;
  }

  ast::ExprPtr placeholder(const Token *t) {
    auto e = std::make_unique<ast::Expr>();
    e->kind = ast::Expr::Kind::Int;
    e->loc = loc(t);
    return e;
  }

  void args(CnnParser::ArgListContext *ctx, std::vector<ast::Arg> &out, int depth) {
    for (auto *a : ctx->arg()) {
      ast::Arg arg;
      if (a->NAME()) {
        arg.keyword = a->NAME()->getText();
        arg.keywordLoc = loc(a->NAME()->getSymbol());
      }
      arg.value = expr(a->expr(), depth + 1);
      out.push_back(std::move(arg));
    }
  }

  ast::ExprPtr list(CnnParser::ListContext *ctx, int depth) {
    auto e = std::make_unique<ast::Expr>();
    e->kind = ast::Expr::Kind::List;
    e->loc = loc(ctx->getStart());
    for (auto *item : ctx->expr())
      e->items.push_back(expr(item, depth + 1));
    return e;
  }

  ast::ExprPtr primary(CnnParser::PrimaryContext *ctx, int depth) {
    using K = ast::Expr::Kind;
    auto e = std::make_unique<ast::Expr>();
    e->loc = loc(ctx->getStart());
    if (auto *c = dynamic_cast<CnnParser::CallExprContext *>(ctx)) {
      e->kind = K::Call;
      e->name = c->NAME()->getText();
      if (c->argList())
        args(c->argList(), e->args, depth);
    } else if (auto *n = dynamic_cast<CnnParser::NameExprContext *>(ctx)) {
      e->kind = K::Name;
      e->name = n->NAME()->getText();
    } else if (auto *num = dynamic_cast<CnnParser::NumberExprContext *>(ctx)) {
      number(num->NUMBER()->getSymbol(), ctx->getStart()->getText() == "-", *e);
    } else if (auto *b = dynamic_cast<CnnParser::BoolExprContext *>(ctx)) {
      e->kind = K::Bool;
      e->boolValue = b->TRUE() != nullptr;
    } else if (auto *p = dynamic_cast<CnnParser::PadWordExprContext *>(ctx)) {
      e->kind = K::PadWord;
      e->name = p->getText();
    } else if (auto *l = dynamic_cast<CnnParser::ListExprContext *>(ctx)) {
      return list(l->list(), depth);
    } else if (auto *paren = dynamic_cast<CnnParser::ParenExprContext *>(ctx)) {
      return expr(paren->expr(), depth + 1);
    }
    return e;
  }

  // Integers are exact int64; anything with '.' or an exponent is a real.
  void number(const Token *t, bool negative, ast::Expr &e) {
    const std::string text = t->getText();
    if (text.find_first_of(".eE") == std::string::npos) {
      e.kind = ast::Expr::Kind::Int;
      int64_t v = 0;
      for (char ch : text) {
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, ch - '0', &v)) {
          diag_.error(loc(t), "integer " + text + " is too large (the largest is " +
                                  std::to_string(INT64_MAX) + ")");
          ok_ = false;
          return;
        }
      }
      e.intValue = negative ? -v : v;
      return;
    }
    e.kind = ast::Expr::Kind::Real;
    errno = 0;
    double v = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(v)) {
      diag_.error(loc(t), "number " + text + " is out of range");
      ok_ = false;
      return;
    }
    e.realValue = negative ? -v : v;
  }

  int file_;
  DiagEngine &diag_;
  bool ok_ = true;
  bool reportedDepth_ = false;
};

} // namespace

std::unique_ptr<ast::File> parseFile(const SourceManager &sm, int fileId, DiagEngine &diag) {
  const SourceFile &src = sm.file(fileId);
  size_t bad = invalidUtf8(src.text);
  if (bad != std::string::npos) {
    char buf[64];
    snprintf(buf, sizeof buf, "invalid UTF-8 byte 0x%02x: a cnn file is UTF-8 text",
             static_cast<unsigned char>(src.text[bad]));
    diag.error(locOfOffset(src, fileId, bad), buf);
    return nullptr;
  }
  antlr4::ANTLRInputStream input(src.text);
  CnnLexer lexer(&input);
  lexer.removeErrorListeners();
  antlr4::CommonTokenStream tokens(&lexer);
  tokens.fill();
  if (!checkTokens(tokens.getTokens(), fileId, diag))
    return nullptr;

  CnnParser parser(&tokens);
  parser.removeErrorListeners();
  DiagListener listener(diag, fileId);
  parser.addErrorListener(&listener);
  CnnParser::FileContext *tree = parser.file();
  if (listener.count)
    return nullptr;
  return Builder(fileId, diag).file(tree);
}

} // namespace cnnc
