// The cnn language (../shared/spec/language.md, section 1-3): one network,
// any number of blocks and imports. Semantics live in frontend/ and ir/.
grammar Cnn;

file      : topItem* EOF ;
topItem   : importDecl | blockDecl | networkDecl ;
importDecl: IMPORT STRING ;
networkDecl
          : NETWORK NAME '(' NAME ':' list ')' body ;
blockDecl : BLOCK NAME '(' (param (',' param)*)? ')' body ;
param     : NAME ('=' expr)? ;
body      : '{' statement* RETURN expr '}' ;
statement : NAME (':' list)? '=' expr ;

// `A -> f(ARGS)` means f(A, ARGS); chains read left to right.
expr      : primary (ARROW chainCall)* ;
chainCall : NAME ('(' argList? ')')? ;
primary   : NAME '(' argList? ')'          # callExpr
          | NAME                           # nameExpr
          | '-'? NUMBER                    # numberExpr
          | (TRUE | FALSE)                 # boolExpr
          | (SAME | VALID)                 # padWordExpr
          | list                           # listExpr
          | '(' expr ')'                   # parenExpr
          ;
list      : '[' (expr (',' expr)*)? ']' ;
argList   : arg (',' arg)* ;
arg       : (NAME '=')? expr ;

NETWORK : 'network' ;
BLOCK   : 'block' ;
RETURN  : 'return' ;
IMPORT  : 'import' ;
TRUE    : 'true' ;
FALSE   : 'false' ;
SAME    : 'same' ;
VALID   : 'valid' ;
ARROW   : '->' ;
NAME    : [A-Za-z_] [A-Za-z0-9_]* ;
NUMBER  : DIGITS ('.' DIGITS?)? EXPONENT? | '.' DIGITS EXPONENT? ;
fragment DIGITS   : [0-9]+ ;
fragment EXPONENT : [eE] [+-]? DIGITS ;
STRING  : '"' ~["\r\n]* '"' ;
UNTERMINATED : '"' ~["\r\n]* ;
COMMENT : '#' ~[\r\n]* -> skip ;
WS      : [ \t\r\n]+ -> skip ;
// Anything else is one bad character, reported by the frontend.
BAD     : . ;
