resource "lookoutvision_project" "example" {
  name = "circuit-boards"

  timeouts {
    delete = "30m"
  }
}
