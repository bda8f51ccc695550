#include <stdio.h>
#include "util.h"
int main(void) { printf("triangle(100) = %d\n", triangle(100)); return 0; }
