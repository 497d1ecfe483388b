// libyaml's public header; a system library target needs one header of its own to point at.
#include <yaml.h>
