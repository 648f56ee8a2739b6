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

#[test]
fn every_demo_login_is_a_user_of_the_demo_world() {
    let demo = demo();
    for login in preflight_core::generate::demo_logins() {
        if login.email == preflight_core::generate::SUPPORT_EMAIL {
            continue;
        }
        let user = demo
            .world
            .user_by_email(&login.email)
            .unwrap_or_else(|| panic!("{} is not a user", login.email));
        assert_eq!(user.name, login.name, "{}", login.email);
        let environment = demo
            .world
            .environment(user.environment)
            .expect("its environment");
        assert_eq!(environment.name, login.environment, "{}", login.email);
    }
}
