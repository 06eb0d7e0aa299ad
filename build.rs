//! Generates the tfplugin6 and go-plugin gRPC code from `proto/`, hermetically:
//! protox parses the files in-process, so no system `protoc` is needed.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let fds = protox::compile(["tfplugin6.proto", "grpc_controller.proto"], ["proto"])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        // RPCs this provider does not implement answer Unimplemented, which Terraform tolerates
        // for the ones it only calls on declared types (actions, state stores, list resources).
        .generate_default_stubs(true)
        // google.protobuf.Timestamp is generated into this crate rather than
        // taken from prost-types, which is not one of its dependencies.
        .compile_well_known_types(true)
        .compile_fds(fds)?;
    Ok(())
}
