/* From the shared benchmark suite (../shared/bench/tools/), unchanged. */
/* true_static: a static glibc program that does nothing, for startup cost. */
int main(void) { return 0; }
