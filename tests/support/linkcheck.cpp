// An empty program: tests/CMakeLists.txt links one core layer into it whole, with only the
// libraries that layer declares, so a call into an undeclared layer is an undefined symbol.
int main() {
    return 0;
}
