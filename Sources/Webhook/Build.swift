// What this binary is: `sparkhook --version`, the `sparkhook_build_info` metric and the image's
// tag all come from here. The Makefile reads the version from this line (make image, make
// install), and a test keeps the manifests' image tag equal to it.
public enum Build {
    public static let version = "0.1.0"
}
