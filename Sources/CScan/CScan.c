// Everything is inline in include/CScan.h; SwiftPM wants one source file per C target.
#include "CScan.h"
