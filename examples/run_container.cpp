// Placeholder: replaced by the example program.
int main() { return 0; }
