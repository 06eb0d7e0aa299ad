# Every project in the provider's account and region.
list "lookoutvision_project" "all" {
  provider = lookoutvision
}
