use preflight_core::generate::demo;
use preflight_core::World;

#[test]
fn the_demo_world_is_built_by_commands_the_rules_allow() {
    let demo = demo();
    let mut world = World::new();
    for event in &demo.events {
        world.apply(event);
    }
    assert_eq!(world, demo.world);
    let stats = world.stats();
    assert_eq!(stats.environments, 1 + 20 + 1 + 50 + 1);
    assert_eq!(stats.documents, 190, "{stats:?}");
    assert!(demo.logins.len() >= 10);
}
