// dctcm: the command-line program. Exit codes: 0 ok, 1 runtime error,
// 2 usage error, 3 pool exhausted, 4 some inputs failed.
#include "tools/commands.h"

int main(int argc, char** argv) { return dctcm::Main(argc, argv); }
