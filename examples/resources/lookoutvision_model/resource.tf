resource "lookoutvision_project" "example" {
  name = "circuit-boards"
}

resource "lookoutvision_dataset" "train" {
  project_name = lookoutvision_project.example.name
  dataset_type = "train"

  source {
    bucket = "my-training-images"
    key    = "manifests/train.manifest"
  }
}

resource "lookoutvision_model" "example" {
  project_name = lookoutvision_project.example.name
  description  = "first-model"

  output_config {
    bucket = "my-training-output"
    prefix = "circuit-boards/"
  }

  # Hosting is billed until stopped: remove these to stop the model.
  min_inference_units = 1
  max_inference_units = 2

  tags = {
    team = "quality"
  }

  # Training starts only once the train dataset is complete.
  depends_on = [lookoutvision_dataset.train]

  timeouts {
    create = "24h"
  }
}
