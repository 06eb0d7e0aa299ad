resource "lookoutvision_project" "example" {
  name = "circuit-boards"
}

# The train dataset, imported from a SageMaker Ground Truth manifest in S3.
resource "lookoutvision_dataset" "train" {
  project_name = lookoutvision_project.example.name
  dataset_type = "train"

  source {
    bucket = "my-training-images"
    key    = "manifests/train.manifest"
  }
}

# An empty test dataset; entries can be added through the API later.
resource "lookoutvision_dataset" "test" {
  project_name = lookoutvision_project.example.name
  dataset_type = "test"
}
